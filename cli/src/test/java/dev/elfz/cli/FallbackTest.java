package dev.elfz.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.elfz.kernel.NativeKernel;
import dev.elfz.kernel.NativeLibrary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** In a fresh JVM without the native library: one line says why, and the Java kernel serves. */
class FallbackTest {

    private record Result(int code, String out, String err) {}

    private static Result elfz(List<String> jvmOptions, String... args) throws IOException, InterruptedException {
        return elfz(Map.of(), jvmOptions, args);
    }

    private static Result elfz(Map<String, String> env, List<String> jvmOptions, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "--add-modules",
                "jdk.incubator.vector"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes(), err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Result(
                p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @TempDir
    Path dir;

    /** A small model compressed and decompressed: every kernel call of the ELF path. */
    private Result roundTrip(List<String> jvmOptions) throws Exception {
        Path model = Models.file(dir, "m.safetensors", 1);
        Result r = elfz(jvmOptions, "compress", "-q", model.toString());
        return r.code() != 0
                ? r
                : elfz(
                        jvmOptions,
                        "decompress",
                        "-q",
                        model + ".elfz",
                        "-o",
                        dir.resolve("back").toString());
    }

    @Test
    void withoutTheNativeLibraryTheJavaKernelServesAndOneLineSaysWhy() throws Exception {
        List<String> noNative = List.of("-Delfz.native=false");
        Result r = roundTrip(noNative);
        assertEquals(0, r.code(), r.err());
        List<String> notes = r.err().lines().filter(l -> l.startsWith("elfz:")).toList();
        assertEquals(
                List.of("elfz: native kernel unavailable (disabled by -Delfz.native=false); using java-vector"), notes);
        // logged by the library, printed once by the CLI: not also in java.util.logging's own two-line format
        assertTrue(r.err().lines().noneMatch(l -> l.contains("Kernels") || l.startsWith("INFO")), r.err());
        assertTrue(elfz(noNative, "--version").out().contains("kernel java-vector"));
    }

    @Test
    void askingForTheMissingNativeKernelIsAClearError() throws Exception {
        Result r = roundTrip(List.of("-Delfz.native=false", "-Delfz.kernel=native"));
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains("elfz: native kernel unavailable: disabled by -Delfz.native=false"), r.err());
        assertTrue(r.err().lines().noneMatch(l -> l.contains("Exception")), r.err());
    }

    @Test
    void theKernelCanBeChosen() throws Exception {
        Result r = elfz(List.of("-Delfz.kernel=java-scalar"), "--version");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("kernel java-scalar"), r.out());
    }

    @Test
    void theIsaCapIsHonouredAndAMisspelledOneIsReported() throws Exception {
        assumeTrue(NativeLibrary.get().available(), "needs the native kernel");
        Result capped = elfz(Map.of("ELFZ_MAX_ISA", "scalar"), List.of(), "--version");
        assertTrue(capped.out().contains("kernel native-scalar"), capped.out());
        Result typo = elfz(Map.of("ELFZ_MAX_ISA", "avx3"), List.of(), "--version");
        assertEquals(0, typo.code());
        assertTrue(typo.err().contains("elfz: ELFZ_MAX_ISA=avx3 is not scalar, avx2 or avx512; ignored"), typo.err());
        assertTrue(typo.out().contains("native ISA " + NativeKernel.supportedIsa()), typo.out());
    }
}
