package dev.elfz;

import java.util.List;
import java.util.Set;

/**
 * The base model an archive's delta tensors are stored against (format 2.5): what {@code elfz compress --base} paired
 * the fine-tune's tensors with. Reading those tensors needs the same base ({@link ElfzReader#open(java.nio.file.Path,
 * java.nio.file.Path)}).
 *
 * @param input the base as it was given: one file or a model directory
 * @param files the base's files holding paired tensors, with their sizes in bytes
 * @param deltaKeys each tensor of the archive stored as a delta: its file and name joined by a NUL character
 */
public record ElfzBase(InputKind input, List<BaseFile> files, Set<String> deltaKeys) {

    /** A file of the base: its path ('/'-separated, relative to the base directory) and size. */
    public record BaseFile(String path, long size) {}

    public ElfzBase {
        files = List.copyOf(files);
        deltaKeys = Set.copyOf(deltaKeys);
    }

    /** How many tensors are stored as deltas. */
    public int deltas() {
        return deltaKeys.size();
    }

    /** Whether a tensor of the archive is stored as a delta. */
    public boolean isDelta(ElfzTensor t) {
        return deltaKeys.contains(t.file() + '\0' + t.name());
    }
}
