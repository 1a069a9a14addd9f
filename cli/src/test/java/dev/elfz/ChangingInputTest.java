package dev.elfz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.analyze.Analysis;
import dev.elfz.container.Verify;
import dev.elfz.io.MappedInput;
import dev.elfz.kernel.Kernel;
import dev.elfz.kernel.Kernels;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorSpec;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A mapped input cut short while elfz reads it: an IOException naming the file ("changed while it was being read"),
 * never a JVM crash, no temporary file left. Each case runs in a child JVM (a crash there fails one test, not the
 * test run) that truncates the file once it is mapped and before its chunks are read: from the progress listener's
 * start (analyze: its first step), or between opening a reader and reading; lossy planning's whole-tensor passes from
 * the note about a tensor read before them. Pages past the new end then fault on every access, deterministically.
 */
class ChangingInputTest {

    /** Where the truncated files are cut: the safetensors header and the start of the first tensor stay. */
    private static final long CUT = 1 << 20;

    @TempDir
    static Path shared;

    private static Path model;
    private static Path archive;
    private static Path pruned;
    private static Path lossy;

    @TempDir
    Path dir;

    @BeforeAll
    static void models() throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            specs.add(new TensorSpec("w" + i, Dtype.F32, new long[] {1024, 1024})); // 4 MiB each: 12 chunks
        }
        model = TestModels.write(shared.resolve("m.safetensors"), specs, Map.of(), 15);
        archive = shared.resolve("m.safetensors.elfz");
        Elfz.compress(model, archive, ElfzOptions.defaults());
        pruned = shared.resolve("pruned.elfz");
        Elfz.compress(model, pruned, ElfzOptions.defaults().withLossy(LossyOptions.NONE.withPruneFraction(0.5)));
        lossy = lossyModel(shared.resolve("lossy.safetensors"));
    }

    /**
     * For lossy planning, in this order: a bias (a note when the planner's first loop meets it), t0 whose 1e300 makes
     * quantizing it unsafe (a note in its second loop, float32 beyond range for k-means), then F64 w1 and F32 w2 of
     * 4 MiB each, which the cut leaves mostly past the end. All finite, so that every pass reads them whole.
     */
    private static Path lossyModel(Path file) throws IOException {
        List<TensorSpec> specs = List.of(
                new TensorSpec("b0", Dtype.F32, new long[] {256}),
                new TensorSpec("t0", Dtype.F64, new long[] {256, 256}),
                new TensorSpec("w1", Dtype.F64, new long[] {512, 1024}),
                new TensorSpec("w2", Dtype.F32, new long[] {1024, 1024}));
        SplittableRandom r = new SplittableRandom(16);
        try (Arena arena = Arena.ofConfined()) {
            List<MemorySegment> data = new ArrayList<>();
            for (TensorSpec t : specs) {
                MemorySegment m = arena.allocate(t.byteSize());
                for (long i = 0; i < t.elements(); i++) {
                    TestModels.set(m, t.dtype(), i, r.nextGaussian() * 0.05);
                }
                data.add(m);
            }
            TestModels.set(data.get(1), Dtype.F64, 0, 1e300);
            SafetensorsWriter.write(file, specs, data, Map.of(), true);
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) { // b0 and t0 whole before the cut (a header under 4 KiB)
            assertTrue(f.tensor("w1").begin() < CUT - 4096);
        }
        return file;
    }

    /**
     * Each whole-tensor pass of lossy planning on a file cut short just before it: the NaN/Inf check (cut at b0's
     * note), per-tensor uniform ranges, per-group ranges, F64's float32 range (at t0's), pruning's global
     * threshold (at b0's), k-means (at t0's, w1 excluded).
     */
    @ParameterizedTest
    @ValueSource(strings = {"finite", "uniform", "uniform-group", "kmeans-range", "kmeans", "prune"})
    void lossyPlanningOfAFileCutShort(String pass) throws Exception {
        assertChangedNothingWritten("plan-" + pass, "native", copy(lossy, "v.safetensors"), "v.elfz");
    }

    @ParameterizedTest
    @ValueSource(strings = {"native", "java-vector", "java-scalar"})
    void compressOfAFileCutShort(String kernel) throws Exception {
        assertChangedNothingWritten("compress", kernel, copy(model, "v.safetensors"), "v.elfz");
    }

    @ParameterizedTest
    @ValueSource(strings = {"native", "java-scalar"})
    void decompressOfAnArchiveCutShort(String kernel) throws Exception {
        assertChangedNothingWritten("decompress", kernel, copy(archive, "v.safetensors.elfz"), "v.safetensors");
    }

    @ParameterizedTest
    @ValueSource(strings = {"native", "java-vector"})
    void readIntoFromAnArchiveCutShort(String kernel) throws Exception {
        assertChanged("read", kernel, copy(archive, "v.safetensors.elfz"));
    }

    @Test
    void verifyOfAnOriginalCutShort() throws Exception {
        assertChanged("verify-original", "native", copy(model, "v.safetensors"), archive.toString());
    }

    @Test
    void verifyOfAnArchiveCutShort() throws Exception {
        assertChanged("verify-archive", "native", copy(archive, "v.safetensors.elfz"), model.toString());
    }

    /** What info reads past the index: the survivor count in each pruned chunk's header (the ideal ratio). */
    @ParameterizedTest
    @ValueSource(strings = {"native", "java-scalar"})
    void infoOfAPrunedArchiveCutShort(String kernel) throws Exception {
        assertChanged("info", kernel, copy(pruned, "p.elfz"));
    }

    /** The copy every path above goes through, compiled by the JIT into a hot loop when the file is cut. */
    @Test
    void compiledCopyOfAFileCutShort() throws Exception {
        assertChanged("copy", "java-scalar", copy(model, "v.safetensors"));
    }

    /** Analyze maps its files only once the work has begun: cut after the first window. */
    @Test
    void analyzeOfAFileCutShort() throws Exception {
        assertChanged("analyze", "native", copy(model, "v.safetensors"));
    }

    private Path copy(Path from, String name) throws IOException {
        return Files.copy(from, dir.resolve(name));
    }

    private static List<Path> list(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.toList();
        }
    }

    /** {@link #assertChanged} for an operation writing {@code output} into an empty directory, which stays empty. */
    private void assertChangedNothingWritten(String op, String kernel, Path in, String output) throws Exception {
        Path out = Files.createDirectory(dir.resolve("out"));
        assertChanged(op, kernel, in, out.resolve(output).toString());
        assertEquals(List.of(), list(out), "nothing left in the output directory");
    }

    /**
     * Runs the child on {@code file} (which it cuts) and {@code other}; it must exit 1 having printed one line: the
     * file, changed while it was being read.
     */
    private void assertChanged(String op, String kernel, Path file, String... other) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:ErrorFile=" + dir.resolve("hs_err_pid%p.log"),
                "--enable-native-access=ALL-UNNAMED",
                "--add-modules",
                "jdk.incubator.vector",
                "-cp",
                System.getProperty("java.class.path"),
                Child.class.getName()));
        cmd.addAll(List.of(op, kernel, file.toString()));
        cmd.addAll(List.of(other));
        Process p = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "timed out: " + out);
        List<String> lines = out.lines()
                .filter(l -> !l.startsWith("WARNING: Using incubator modules"))
                .toList();
        assertEquals(1, p.exitValue(), op + " " + kernel + ": " + out);
        assertEquals(List.of(file + ": changed while it was being read"), lines);
        assertEquals(CUT, Files.size(file), "the child cut the file");
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(
                    List.of(),
                    s.filter(f -> f.getFileName().toString().startsWith("hs_err"))
                            .toList());
        }
    }

    /**
     * The child JVM: one operation ({@code args[0]}, kernel {@code args[1]}) whose input {@code args[2]} is cut to
     * {@link #CUT} bytes once mapped. Exit 1 with the
     * IOException's message; anything else escapes (exit 1 with a stack trace, which the test refuses) or crashes.
     */
    public static final class Child {
        public static void main(String[] a) throws Exception {
            Kernel kernel = Kernels.named(a[1]);
            try {
                run(a, kernel);
                System.out.println("no failure");
                System.exit(0);
            } catch (IOException e) {
                System.out.println(e.getMessage());
                System.exit(1);
            }
        }

        private static void run(String[] a, Kernel kernel) throws IOException {
            Path first = Path.of(a[2]);
            ElfzOptions o = ElfzOptions.defaults().withThreads(1).withKernel(kernel);
            switch (a[0]) {
                case "compress" -> Elfz.compress(first, Path.of(a[3]), o.withProgress(cutAtStart(first)));
                case "plan-finite" -> compressCutAtNote(first, a[3], o.withCodec(CodecChoice.UNIFORM), "b0");
                case "plan-uniform" -> compressCutAtNote(first, a[3], o.withCodec(CodecChoice.UNIFORM), "t0");
                case "plan-uniform-group" ->
                    compressCutAtNote(
                            first,
                            a[3],
                            o.withCodec(CodecChoice.UNIFORM)
                                    .withLossy(LossyOptions.NONE.withBits(4).withGranularity(Granularity.GROUP, 32)),
                            "t0");
                case "plan-kmeans-range" -> compressCutAtNote(first, a[3], o.withCodec(CodecChoice.KMEANS), "t0");
                case "plan-kmeans" ->
                    compressCutAtNote(
                            first,
                            a[3],
                            o.withCodec(CodecChoice.KMEANS)
                                    .withLossy(LossyOptions.NONE.withSelection(List.of(), List.of("w1"), 4096)),
                            "t0");
                case "plan-prune" ->
                    compressCutAtNote(first, a[3], o.withLossy(LossyOptions.NONE.withPruneFraction(0.5)), "b0");
                case "decompress" -> Elfz.decompress(first, Path.of(a[3]), o.withProgress(cutAtStart(first)));
                case "verify-original" -> Verify.verify(first, Path.of(a[3]), o.withProgress(cutAtStart(first)));
                case "verify-archive" -> Verify.verify(Path.of(a[3]), first, o.withProgress(cutAtStart(first)));
                case "copy" -> hotCopy(first);
                case "analyze" ->
                    new Analysis(Analysis.Options.defaults()
                                    .withThreads(1)
                                    .withMemory(64 << 20)
                                    .withProgress(new ElfzOptions.Progress() {
                                        @Override
                                        public void advance(long bytes) {
                                            cut(first);
                                        }
                                    }))
                            .run(List.of(first));
                case "read", "info" -> {
                    try (ElfzReader r = ElfzReader.open(first, kernel);
                            Arena arena = Arena.ofConfined()) {
                        cut(first);
                        for (ElfzTensor t : r.tensors()) {
                            if (a[0].equals("read")) {
                                r.readInto(t, arena.allocate(t.byteSize()));
                            } else {
                                r.idealRatio(t);
                            }
                        }
                    }
                }
                default -> throw new IllegalArgumentException(a[0]);
            }
        }

        /**
         * The copy in a hot loop, compiled and inlined by the JIT before the cut: there HotSpot raises the fault
         * later than where it happened unless MappedInput makes it raise it at once.
         */
        private static void hotCopy(Path file) throws IOException {
            try (Arena arena = Arena.ofConfined();
                    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
                MemorySegment into = arena.allocate(4096);
                int pages = (int) (CUT / 4096);
                for (int i = 0; i < 400_000; i++) {
                    if (i == 200_000) {
                        cut(file);
                    }
                    MappedInput.copy(file, mapped.asSlice(((i & 15) + (i < 200_000 ? 0 : pages)) * 4096L, 4096), into);
                }
            }
        }

        /** Compresses, cutting the input at the planner's note about {@code tensor} (it fails unless that comes). */
        private static void compressCutAtNote(Path in, String out, ElfzOptions o, String tensor) throws IOException {
            Elfz.compress(in, Path.of(out), o.withProgress(new ElfzOptions.Progress() {
                @Override
                public void note(String line) {
                    if (line.contains(" " + tensor + ": ")) {
                        cut(in);
                    }
                }
            }));
        }

        private static ElfzOptions.Progress cutAtStart(Path file) {
            return new ElfzOptions.Progress() {
                @Override
                public void start(long totalBytes) {
                    cut(file);
                }
            };
        }

        private static void cut(Path file) {
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                f.setLength(CUT);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
    }
}
