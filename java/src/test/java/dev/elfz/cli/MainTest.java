package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.kernel.Kernels;
import org.junit.jupiter.api.Test;

/** The command line's exit codes. */
class MainTest {

    @Test
    void usageErrorsExitTwo() {
        assertEquals(2, run("demo", "--rounds", "0").code());
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
