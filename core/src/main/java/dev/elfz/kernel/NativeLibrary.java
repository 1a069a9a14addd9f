package dev.elfz.kernel;

import dev.elfz.bindings.elfz_h;
import dev.elfz.io.AtomicFiles;
import dev.elfz.io.ExitCleanup;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.zip.CRC32C;

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

    /** The loaded library file (gone already when it was loaded from a temporary copy). */
    public Path path() {
        if (!available()) {
            throw new IllegalStateException("native kernel unavailable: " + unavailableReason);
        }
        return path;
    }

    /**
     * A lookup of the loaded library's own symbols (not the C library's); the class loader's, which loaded only it,
     * when it was loaded from a temporary copy that is gone.
     */
    public SymbolLookup lookup() {
        return Files.exists(path()) ? SymbolLookup.libraryLookup(path(), Arena.global()) : SymbolLookup.loaderLookup();
    }

    /** os-arch as the build names its resource folder: linux-x86_64, mac-aarch64, windows-x86_64. */
    public static String platform() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        os = os.startsWith("linux")
                ? "linux"
                : os.startsWith("mac") ? "mac" : os.startsWith("windows") ? "windows" : os;
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
                return new NativeLibrary(
                        null,
                        "no native library for " + platform()
                                + " in the jar (built without CMake, or another platform)");
            }
            String stale = versionMismatch(file, elfz_h.elfz_version(), bindingsVersion());
            if (stale != null) {
                return new NativeLibrary(null, stale);
            }
            String cap = System.getenv("ELFZ_MAX_ISA");
            if (cap != null && !List.of("scalar", "avx2", "avx512").contains(cap)) { // the C side ignores it
                System.getLogger(NativeLibrary.class.getName())
                        .log(Level.WARNING, "ELFZ_MAX_ISA=" + cap + " is not scalar, avx2 or avx512; ignored");
            }
            return new NativeLibrary(file, null);
        } catch (IOException | UnsatisfiedLinkError | IllegalCallerException e) {
            return new NativeLibrary(null, "cannot load the native library: " + e.getMessage());
        }
    }

    /** The C API version the bindings were generated from, encoded as elfz_version() returns it. */
    static int bindingsVersion() {
        return elfz_h.ELFZ_VERSION_MAJOR() << 16 | elfz_h.ELFZ_VERSION_MINOR() << 8 | elfz_h.ELFZ_VERSION_PATCH();
    }

    /**
     * Null when the library speaks the bindings' C API, else why it is refused, in one line. Only an exact match
     * passes: every change of the C API bumps ELFZ_VERSION (DEVELOPERS.md), and an older or newer library may lack a
     * function or take other arguments.
     */
    static String versionMismatch(Path file, int library, int bindings) {
        if (library == bindings) {
            return null;
        }
        return "native library " + file + " has C API " + dotted(library) + ", this elfz needs " + dotted(bindings);
    }

    private static String dotted(int version) {
        return (version >>> 16) + "." + (version >>> 8 & 0xff) + "." + (version & 0xff);
    }

    /**
     * Loads the library and returns its file: -Delfz.native.path wins; else the jar's resource, from the cache, or when
     * there is none, from a temporary file deleted at once. Null when the jar holds none for this platform.
     */
    private static Path locate() throws IOException {
        String explicit = System.getProperty("elfz.native.path");
        if (explicit != null) {
            Path p = Path.of(explicit).toAbsolutePath();
            if (!Files.isRegularFile(p)) {
                throw new IOException("-Delfz.native.path=" + explicit + " is not a file");
            }
            System.load(p.toString());
            return p;
        }
        String resource = "/dev/elfz/native/" + platform() + "/" + System.mapLibraryName("elfz");
        byte[] bytes;
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in == null) {
                return null;
            }
            bytes = in.readAllBytes();
        }
        Path cached;
        try {
            cached = cached(bytes);
        } catch (IOException e) {
            return loadTemporary(bytes); // no cache directory: a read-only or missing home
        }
        try {
            System.load(cached.toString());
            return cached;
        } catch (UnsatisfiedLinkError e) {
            return loadTemporary(bytes); // a cache directory on a noexec file system
        }
    }

    /**
     * The library in the user's cache directory ($XDG_CACHE_HOME/elfz, else ~/.cache/elfz) under a name made from a
     * hash of its bytes, so that every run of one build reuses one file and nothing piles up: written once, whole
     * (temporary file and rename), and again only when it is not those bytes.
     */
    private static Path cached(byte[] bytes) throws IOException {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path dir = xdg != null && !xdg.isEmpty() && Path.of(xdg).isAbsolute()
                ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".cache");
        dir = dir.resolve("elfz");
        // CRC-32C and length name the file (the bytes are compared before use): no security provider to start
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        String hash = HexFormat.of().toHexDigits((int) crc.getValue())
                + HexFormat.of().toHexDigits(bytes.length);
        Path file = dir.resolve(System.mapLibraryName("elfz-" + hash));
        if (Files.isRegularFile(file)
                && Files.size(file) == bytes.length
                && Arrays.equals(Files.readAllBytes(file), bytes)) {
            return file;
        }
        Files.createDirectories(dir);
        AtomicFiles.writeFile(file, true, out -> out.write(bytes));
        return file;
    }

    /** Loads a private copy and deletes it at once: the mapping stays, and with it the library (Linux, macOS). */
    private static Path loadTemporary(byte[] bytes) throws IOException {
        Path file = Files.createTempFile("elfz-native", ".so");
        try {
            ExitCleanup.deleteAtExit(file);
            Files.write(file, bytes);
            System.load(file.toString());
            return file;
        } finally {
            AtomicFiles.deleteTemporary(file);
        }
    }
}
