package dev.elfz;

import dev.elfz.container.Compressor;
import dev.elfz.container.Decompressor;
import dev.elfz.io.FileNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The library's entry points. Compresses a safetensors file, an ONNX file (with its external data files) or a model
 * directory into one .elfz file, and back.
 *
 * <pre>{@code
 * Elfz.compress(Path.of("model.safetensors"), Path.of("model.safetensors.elfz"), ElfzOptions.defaults());
 * Elfz.decompress(Path.of("model.safetensors.elfz"), Path.of("copy.safetensors"), ElfzOptions.defaults());
 * }</pre>
 *
 * The input is only read. The output is written under a temporary name beside it and renamed when complete, so
 * a failure leaves nothing under the output name; an existing output is an error unless
 * {@link ElfzOptions#overwrite()}. Every problem is an {@link IOException} whose message names the file.
 */
public final class Elfz {

    public static final String VERSION = "0.1.0";
    public static final String SUFFIX = ".elfz";

    private Elfz() {}

    /**
     * Compresses {@code in} into {@code out}: a safetensors file; an ONNX file, with the external data files it names
     * (their tensors compressed, the rest of the model kept byte for byte); or a directory, every {@code *.safetensors}
     * and {@code *.onnx} under it compressed as such and every other file kept as it is.
     *
     * @return what the index written says: files, tensors, codecs, sizes and chunks
     */
    public static ElfzArchive compress(Path in, Path out, ElfzOptions options) throws IOException {
        checkDistinct(in, out);
        return Compressor.compress(in, out, options);
    }

    /**
     * Rebuilds the input of {@code in} at {@code out}, byte for byte where the codecs are lossless: the safetensors
     * file, the ONNX file (its external data files beside {@code out}, under their own names) or the model directory.
     */
    public static void decompress(Path in, Path out, ElfzOptions options) throws IOException {
        checkDistinct(in, out);
        Decompressor.decompress(in, out, options);
    }

    /**
     * {@link #decompress(Path, Path, ElfzOptions)} of an archive already open, whose index is then not read again (a
     * command that lists it first). The base of {@code options}, when given, is attached to {@code in}; else the one
     * {@code in} was opened with serves. {@code in} stays open.
     */
    public static void decompress(ElfzReader in, Path out, ElfzOptions options) throws IOException {
        checkDistinct(in.path(), out);
        Decompressor.decompress(in.container(), out, options);
    }

    /** Opens an .elfz file to list and read its tensors; see {@link ElfzReader}. */
    public static ElfzReader open(Path elfz) throws IOException {
        return ElfzReader.open(elfz);
    }

    /** {@code IN.elfz}: where compress writes by default. */
    public static Path compressedName(Path in) {
        Path abs = in.toAbsolutePath().normalize();
        return FileNames.resolve(abs.getParent(), FileNames.name(abs.getFileName()) + SUFFIX);
    }

    /**
     * {@code IN} without {@code .elfz}: where decompress writes by default.
     *
     * @throws IOException when the name does not end in {@code .elfz}: then the caller must choose the output
     */
    public static Path decompressedName(Path in) throws IOException {
        String name = FileNames.name(in.getFileName());
        if (!name.endsWith(SUFFIX) || name.length() == SUFFIX.length()) {
            throw new IOException(in + ": name does not end in " + SUFFIX + ", so it has no default output name");
        }
        Path dir = in.getParent();
        return FileNames.resolve(dir == null ? Path.of("") : dir, name.substring(0, name.length() - SUFFIX.length()));
    }

    private static void checkDistinct(Path in, Path out) throws IOException {
        if (Files.exists(out) && Files.exists(in) && Files.isSameFile(in, out)) {
            throw new IOException(out + ": the output is the input");
        }
    }
}
