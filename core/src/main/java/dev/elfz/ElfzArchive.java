package dev.elfz;

import java.util.List;

/**
 * What an .elfz file holds, read from its index: what {@link Elfz#compress} wrote and {@link ElfzReader#archive()}
 * read. Nothing in it is decoded.
 *
 * @param createdBy the writer, e.g. {@code elfz 0.1.0}
 * @param input one file or a model directory
 * @param files in the order they were stored
 * @param base the model the delta tensors are stored against, or null when there are none (format 2.5)
 */
public record ElfzArchive(String createdBy, InputKind input, List<ElfzFile> files, ElfzBase base) {

    public ElfzArchive {
        files = List.copyOf(files);
    }

    /** Every tensor of every file, in file and data-offset order. */
    public List<ElfzTensor> tensors() {
        return files.stream().flatMap(f -> f.tensors().stream()).toList();
    }

    /** Bytes of the original files together. */
    public long originalBytes() {
        return files.stream().mapToLong(ElfzFile::size).sum();
    }
}
