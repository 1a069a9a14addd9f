package dev.elfz.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.kernel.Kernels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The command line's exit codes and the demo's table. */
class MainTest {

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void demoPrintsEveryKernelWithinTheBound() {
        Run r = run("demo", "--hidden", "64", "--layers", "1", "--vocab", "512", "--rounds", "1");
        assertEquals(0, r.code(), r.err());
        for (var k : Kernels.available()) {
            String prefix = k.name().startsWith("native") ? "native-" : k.name();
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith(prefix)), k.name() + " row missing:\n" + r.out());
        }
        // every kernel row: ratio near 4/3 (24 of 32 bits, plus the LayerNorm exceptions) and error <= 2^-24
        r.out().lines().filter(l -> l.matches("(native|java)-\\S+\\s+\\d.*")).forEach(l -> {
            String[] f = l.trim().split("\\s+");
            double ratio = Double.parseDouble(f[1]), error = Double.parseDouble(f[4]);
            assertTrue(ratio > 1.30 && ratio < 1.3334, l);
            assertTrue(error <= 0x1p-24, l);
        });
    }

    @Test
    void usageErrorsExitTwo() {
        assertEquals(2, run("demo", "--hidden", "0").code());
        assertEquals(2, run("demo", "--no-such-option").code());
        assertEquals(2, run("no-such-command").code());
        Run none = run();
        assertEquals(2, none.code());
        assertTrue(none.err().contains("missing command"), none.err());
        Run bad = run("demo", "--rounds", "x");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--rounds"), bad.err());
    }

    @Test
    void versionNamesTheKernel() {
        Run r = run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("kernel " + Kernels.best().name()), r.out());
    }
}
