package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.kernel.Kernels;
import org.junit.jupiter.api.Test;

/** The command line's exit codes and the demo's table. */
class MainTest {

    @Test
    void demoPrintsEveryKernelWithinTheBound() {
        Cli.Run r = run("demo", "--hidden", "64", "--layers", "1", "--vocab", "512", "--rounds", "1");
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
        run().usageError("missing command: compress, decompress, info, verify, demo, analyze or eval", "(see elfz --help)");
        Cli.Run bad = run("demo", "--rounds", "x");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--rounds"), bad.err());
    }

    @Test
    void versionNamesTheKernel() {
        Cli.Run r = run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("kernel " + Kernels.best().name()), r.out());
    }
}
