package dev.elfz.cli;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.elfz.ElfzArchive;
import dev.elfz.ElfzBase;
import dev.elfz.ElfzFile;
import dev.elfz.ElfzReader;
import dev.elfz.ElfzTensor;
import dev.elfz.FileKind;
import dev.elfz.InputKind;
import dev.elfz.kernel.Kernel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The files and tensors of an .elfz file, from its index alone (nothing is decoded): the rows of
 * {@code elfz info}, of {@code -v} and of the {@code --json} summaries.
 */
record Listing(String file, long fileBytes, String createdBy, String input, List<FileRow> files, ElfzBase base) {

    /**
     * @param exceptions values the codec keeps exactly (ELF, grid, their survivors after pruning); -1 when a chunk's
     *     length is damaged
     * @param keepsExceptions whether the codec keeps any (the column is empty for the others)
     * @param idealRatio {@link ElfzReader#idealRatio} ({@code formula_ratio} in the JSON summaries)
     */
    record TensorRow(
            String name,
            String dtype,
            long[] shape,
            String codec,
            long bytes,
            long storedBytes,
            double ratio,
            long exceptions,
            @JsonIgnore boolean keepsExceptions,
            double errorBound,
            @JsonProperty("formula_ratio") double idealRatio) {}

    /** @param tensors null for a blob */
    record FileRow(
            String path,
            String kind,
            String codec,
            long bytes,
            long storedBytes,
            double ratio,
            Map<String, String> metadata,
            List<TensorRow> tensors) {}

    /** Opens an .elfz file and lists it. */
    static Listing read(Path file, Kernel kernel) throws IOException {
        try (ElfzReader r = ElfzReader.open(file, kernel)) {
            return of(r, Files.size(file));
        }
    }

    static Listing of(ElfzReader r, long fileBytes) throws IOException {
        List<FileRow> files = new ArrayList<>();
        ElfzArchive archive = r.archive();
        for (ElfzFile f : archive.files()) {
            long stored = f.storedBytes();
            if (f.kind() == FileKind.BLOB) {
                files.add(new FileRow(
                        f.path(),
                        f.kind().id(),
                        f.data().codec().id(),
                        f.size(),
                        stored,
                        Units.ratio(f.size(), stored),
                        null,
                        null));
                continue;
            }
            List<TensorRow> tensors = new ArrayList<>();
            for (ElfzTensor t : f.tensors()) {
                tensors.add(new TensorRow(
                        t.name(),
                        t.dtype().name(),
                        t.shape(),
                        t.codec().id(),
                        t.byteSize(),
                        t.storedBytes(),
                        Units.ratio(t.byteSize(), t.storedBytes()),
                        t.exceptions(),
                        r.keepsExceptions(t),
                        t.errorBound(),
                        r.idealRatio(t)));
            }
            files.add(new FileRow(
                    f.path(),
                    f.kind().id(),
                    null,
                    f.size(),
                    stored,
                    Units.ratio(f.size(), stored),
                    f.metadata().isEmpty() ? null : f.metadata(),
                    tensors));
        }
        return new Listing(
                r.path().toString(),
                fileBytes,
                archive.createdBy(),
                archive.input().id(),
                files,
                archive.base());
    }

    /**
     * "stored against the base [FILES] (a model directory): D of T tensors as deltas", or null when the archive needs
     * no base.
     */
    String baseLine() {
        if (base == null) {
            return null;
        }
        BaseRow row = baseRow();
        int total = row.tensors();
        return "stored against the base "
                + base.files().stream()
                        .map(b -> b.path() + " (" + b.size() + " bytes)")
                        .toList()
                + (base.input() == InputKind.DIRECTORY ? ", a model directory" : "") + ": " + base.deltas() + " of "
                + total + " tensors ("
                + String.format(Locale.ROOT, "%.0f%%", 100.0 * base.deltas() / Math.max(1, total))
                + ") as deltas";
    }

    /** The base in --json: as given (file or directory), its files, and how many of the tensors are deltas. */
    record BaseRow(String input, List<ElfzBase.BaseFile> files, int deltaTensors, int tensors) {}

    BaseRow baseRow() {
        if (base == null) {
            return null;
        }
        int total = files.stream()
                .mapToInt(f -> f.tensors() == null ? 0 : f.tensors().size())
                .sum();
        return new BaseRow(base.input().id(), base.files(), base.deltas(), total);
    }

    boolean directory() {
        return InputKind.DIRECTORY.id().equals(input);
    }

    /** Bytes of the original files. */
    long bytes() {
        return files.stream().mapToLong(FileRow::bytes).sum();
    }

    List<TensorRow> tensors() {
        return files.stream()
                .filter(f -> f.tensors() != null)
                .flatMap(f -> f.tensors().stream())
                .toList();
    }

    /** Tensors per codec id. */
    Map<String, Integer> codecs() {
        Map<String, Integer> counts = new TreeMap<>();
        tensors().forEach(t -> counts.merge(t.codec(), 1, Integer::sum));
        return counts;
    }

    /** The ideal ratio of all tensors together: their original bytes over the sum of their ideal sizes. */
    double idealRatio() {
        double original = 0;
        double ideal = 0;
        for (FileRow f : files) {
            for (TensorRow t : f.tensors() == null ? List.<TensorRow>of() : f.tensors()) {
                original += t.bytes();
                ideal += t.bytes() / t.idealRatio();
            }
        }
        return ideal == 0 ? 1 : original / ideal;
    }

    /** ELF and grid exceptions over every tensor; -1 when one is damaged. */
    long exceptions() {
        long sum = 0;
        for (TensorRow t : tensors()) {
            if (t.exceptions() < 0) {
                return -1;
            }
            sum += t.exceptions();
        }
        return sum;
    }

    /** One row per file, tensors indented below their file; the total compares with the whole .elfz file. */
    void print(PrintWriter w) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {
            "file / tensor", "dtype", "shape", "codec", "original", "stored", "ratio", "formula", "exceptions"
        });
        for (FileRow f : files) {
            rows.add(new String[] {
                f.path(),
                f.kind(),
                "",
                f.codec() == null ? "" : f.codec(),
                Units.bytes(f.bytes()),
                Units.bytes(f.storedBytes()),
                ratio(f.ratio()),
                "",
                ""
            });
            for (TensorRow t : f.tensors() == null ? List.<TensorRow>of() : f.tensors()) {
                rows.add(new String[] {
                    "  " + t.name(),
                    t.dtype(),
                    Arrays.toString(t.shape()),
                    t.codec(),
                    Units.bytes(t.bytes()),
                    Units.bytes(t.storedBytes()),
                    ratio(t.ratio()),
                    ratio(t.idealRatio()),
                    t.keepsExceptions() ? count(t.exceptions()) : ""
                });
            }
        }
        rows.add(new String[] {
            "total (whole .elfz file)",
            "",
            "",
            "",
            Units.bytes(bytes()),
            Units.bytes(fileBytes),
            ratio(Units.ratio(bytes(), fileBytes)),
            ratio(idealRatio()),
            count(exceptions())
        });
        AnalyzeCommand.table(w, rows, 4); // sizes and counts align right
        w.flush();
    }

    private static String ratio(double r) {
        return String.format(Locale.ROOT, "%.4f", r);
    }

    private static String count(long n) {
        return n < 0 ? "damaged" : Long.toString(n);
    }
}
