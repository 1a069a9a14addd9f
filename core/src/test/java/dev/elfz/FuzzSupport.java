package dev.elfz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What the coverage-guided fuzz targets ({@code *FuzzTarget}, Jazzer) share: a scratch file for readers that take
 * a path, the property every target checks of a refusal, native memory that ends at an inaccessible page (so that a
 * native decoder reading or writing one byte past its input or output crashes the run instead of going unseen), and
 * the committed seed corpus.
 */
public final class FuzzSupport {

    private FuzzSupport() {}

    /**
     * The scratch file of this name, in this JVM's scratch directory, in memory (/dev/shm) where there is one: each
     * execution overwrites it; the directory is deleted when the JVM exits.
     */
    public static Path scratch(String name, byte[] data) {
        try {
            Path p = SCRATCH.resolve(name);
            Files.write(p, data);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final Path SCRATCH = scratchDirectory();

    private static Path scratchDirectory() {
        try {
            Path shm = Path.of("/dev/shm");
            Path dir = Files.isDirectory(shm) && Files.isWritable(shm)
                    ? Files.createTempDirectory(shm, "elfz-fuzz")
                    : Files.createTempDirectory("elfz-fuzz");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try (Stream<Path> s = Files.list(dir)) {
                    for (Path p : s.toList()) {
                        Files.deleteIfExists(p);
                    }
                    Files.deleteIfExists(dir);
                } catch (IOException ignored) {
                    // a scratch file in a temporary directory; nothing more to do at exit
                }
            }));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The property of a refusal: one line that begins with the file's path (elfz prints it as it is). */
    public static void assertOneLineNaming(Path file, Throwable e) {
        String m = e.getMessage();
        if (m == null || !m.startsWith(file.toString()) || m.contains("\n")) {
            throw new AssertionError("not one line naming " + file + ": " + m, e);
        }
    }

    // --- native memory with a guard page after it ---

    private static final long PAGE = 4096;
    private static final int PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle MMAP = LINKER.downcallHandle(
            LINKER.defaultLookup().find("mmap").orElseThrow(),
            FunctionDescriptor.of(
                    ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_LONG));
    private static final MethodHandle MPROTECT = LINKER.downcallHandle(
            LINKER.defaultLookup().find("mprotect").orElseThrow(),
            FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle MUNMAP = LINKER.downcallHandle(
            LINKER.defaultLookup().find("munmap").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));

    /**
     * Native memory whose segments end where an inaccessible page begins (an electric fence): a native read or write
     * past a segment's end is a SIGSEGV, which ends the fuzzing run with the input saved, instead of reading a
     * neighbour's bytes unnoticed. The Java kernels' segments are bounds-checked anyway.
     */
    public static final class Fenced implements AutoCloseable {

        private final List<long[]> mappings = new ArrayList<>();

        /** {@code size} bytes, zeroed, followed by a PROT_NONE page. */
        public MemorySegment allocate(long size) {
            long data = (size + PAGE - 1) / PAGE * PAGE;
            try {
                MemorySegment base = (MemorySegment) MMAP.invokeExact(
                        MemorySegment.NULL, data + PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
                if (base.address() == -1L) {
                    throw new IllegalStateException("mmap failed");
                }
                mappings.add(new long[] {base.address(), data + PAGE});
                if ((int) MPROTECT.invokeExact(MemorySegment.ofAddress(base.address() + data), PAGE, PROT_NONE) != 0) {
                    throw new IllegalStateException("mprotect failed");
                }
                return MemorySegment.ofAddress(base.address() + data - size).reinterpret(size);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        }

        /** A copy of {@code src} that ends at a guard page. */
        public MemorySegment copyOf(MemorySegment src) {
            MemorySegment m = allocate(src.byteSize());
            m.copyFrom(src);
            return m;
        }

        @Override
        public void close() {
            for (long[] m : mappings) {
                try {
                    int ignored = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(m[0]), m[1]);
                } catch (Throwable e) {
                    throw new IllegalStateException(e);
                }
            }
            mappings.clear();
        }
    }

    // --- the seed corpus ---

    /** A check of one seed file: it parses all the way. */
    public interface SeedCheck {
        void check(Path seed) throws IOException;
    }

    /**
     * Checks that every committed {@code valid-*} seed of a fuzz test passes {@code check} (fuzzing starts from inputs
     * that parse all the way) and that every seed the helpers make is committed. Other files there are findings,
     * which the fuzz test itself runs.
     */
    public static void checkSeeds(Class<?> target, String method, Map<String, byte[]> seeds, SeedCheck check)
            throws IOException {
        List<String> names = new ArrayList<>();
        for (Path seed : seedFiles(target, method, seeds)) {
            String name = seed.getFileName().toString();
            if (name.startsWith("valid-")) {
                names.add(name);
                check.check(seed);
            }
        }
        if (!names.containsAll(seeds.keySet())) {
            throw new AssertionError(
                    "not every seed of " + seeds.keySet() + " is committed (bin/fuzz.sh seeds): " + names);
        }
    }

    /**
     * The committed seeds of a fuzz test: {@code src/test/resources/PACKAGE/CLASSInputs/METHOD/}, where Jazzer looks
     * for them. With {@code -Delfz.fuzz.writeSeeds=true} (bin/fuzz.sh seeds) they are first written from
     * {@code seeds}, made by the tests' helpers.
     */
    private static List<Path> seedFiles(Class<?> target, String method, Map<String, byte[]> seeds) throws IOException {
        Path dir = Path.of(
                "src/test/resources",
                target.getPackageName().replace('.', '/'),
                target.getSimpleName() + "Inputs",
                method);
        if (Boolean.getBoolean("elfz.fuzz.writeSeeds")) {
            Files.createDirectories(dir);
            for (Map.Entry<String, byte[]> s : seeds.entrySet()) {
                Files.write(dir.resolve(s.getKey()), s.getValue());
            }
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
