package dev.elfz.kernel;

import dev.elfz.bindings.elfz_h;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;

/**
 * Finds, extracts and loads the C kernel packed into the jar under {@code /dev/elfz/native/<os>-<arch>/}.
 *
 * <p>The library is loaded with {@link System#load} so that the committed jextract bindings, whose symbol
 * lookup is the class loader's, resolve against it; {@link #lookup()} is a {@link SymbolLookup#libraryLookup}
 * of the same file, for checks. When it cannot load (other OS or CPU, built without CMake,
 * {@code -Delfz.native=false}), {@link #unavailableReason()} says why, in one line.
 */
public final class NativeLibrary {

    private static final NativeLibrary INSTANCE = load();

    private final Path path;
    private final String unavailableReason;

    private NativeLibrary(Path path, String unavailableReason) {
        this.path = path;
        this.unavailableReason = unavailableReason;
    }

    /** The process-wide library state, loaded on first use. */
    public static NativeLibrary get() {
        return INSTANCE;
    }

    public boolean available() {
        return unavailableReason == null;
    }

    /** Why the native kernel cannot serve, or null when it can. */
    public String unavailableReason() {
        return unavailableReason;
    }

    /** The loaded library file. */
    public Path path() {
        if (!available()) {
            throw new IllegalStateException("native kernel unavailable: " + unavailableReason);
        }
        return path;
    }

    /** A lookup of the loaded library's own symbols (not the class loader's or the C library's). */
    public SymbolLookup lookup() {
        return SymbolLookup.libraryLookup(path(), Arena.global());
    }

    /** os-arch as the build names its resource folder: linux-x86_64, mac-aarch64, windows-x86_64. */
    public static String platform() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        os = os.startsWith("linux") ? "linux" : os.startsWith("mac") ? "mac" : os.startsWith("windows") ? "windows" : os;
        arch = switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "arm64", "aarch64" -> "aarch64";
            default -> arch;
        };
        return os + "-" + arch;
    }

    private static NativeLibrary load() {
        if ("false".equals(System.getProperty("elfz.native"))) {
            return new NativeLibrary(null, "disabled by -Delfz.native=false");
        }
        try {
            Path file = locate();
            if (file == null) {
                return new NativeLibrary(null, "no native library for " + platform()
                        + " in the jar (built without CMake, or another platform)");
            }
            System.load(file.toString());
            int expected = elfz_h.ELFZ_VERSION_MAJOR() << 16 | elfz_h.ELFZ_VERSION_MINOR() << 8 | elfz_h.ELFZ_VERSION_PATCH();
            int actual = elfz_h.elfz_version();
            if (actual != expected) {
                return new NativeLibrary(null, String.format("native library %s is version %06x, the bindings %06x",
                        file, actual, expected));
            }
            String cap = System.getenv("ELFZ_MAX_ISA");
            if (cap != null && !List.of("scalar", "avx2", "avx512").contains(cap)) { // the C side ignores it
                System.err.println("elfz: ELFZ_MAX_ISA=" + cap + " is not scalar, avx2 or avx512; ignored");
            }
            return new NativeLibrary(file, null);
        } catch (IOException | UnsatisfiedLinkError | IllegalCallerException e) {
            return new NativeLibrary(null, "cannot load the native library: " + e.getMessage());
        }
    }

    /** -Delfz.native.path wins; else the jar's resource, copied to a temporary file. */
    private static Path locate() throws IOException {
        String explicit = System.getProperty("elfz.native.path");
        if (explicit != null) {
            Path p = Path.of(explicit).toAbsolutePath();
            if (!Files.isRegularFile(p)) {
                throw new IOException("-Delfz.native.path=" + explicit + " is not a file");
            }
            return p;
        }
        String name = System.mapLibraryName("elfz");
        String resource = "/dev/elfz/native/" + platform() + "/" + name;
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in == null) {
                return null;
            }
            Path dir = Files.createTempDirectory("elfz-native");
            Path file = dir.resolve(name);
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            file.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            return file;
        }
    }
}
