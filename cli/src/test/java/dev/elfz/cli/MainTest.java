package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.kernel.Kernels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line's exit codes. */
class MainTest {

    @Test
    void usageErrorsExitTwo() {
        assertEquals(2, run("demo", "--rounds", "0").code());
        assertEquals(2, run("demo", "--no-such-option").code());
        assertEquals(2, run("no-such-command").code());
        run().usageError(
                        "missing command: compress, decompress, info, verify, demo, analyze, eval or sweep",
                        "(see elfz --help)");
        Cli.Run bad = run("demo", "--rounds", "x");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--rounds"), bad.err());
    }

    @Test
    void anUnknownOptionBesideHelpOrVersionIsAUsageError() {
        for (List<String> line : List.of(
                List.of("--version", "--bogus"),
                List.of("--bogus", "--version"),
                List.of("-V", "--bogus"),
                List.of("--help", "--bogus"),
                List.of("info", "--help", "--bogus"),
                List.of("info", "--version", "--bogus"))) {
            Cli.Run r = run(line.toArray(new Object[0]));
            r.usageError("Unknown option: '--bogus'", "--help)");
            assertEquals("", r.out(), String.join(" ", line));
        }
    }

    @Test
    void theMissingCommandMessageNamesEveryCommand() {
        String err = run().err();
        Main.commandLine()
                .getSubcommands()
                .keySet()
                .forEach(c -> assertTrue(err.contains(" " + c), c + " missing from: " + err));
    }

    @Test
    void helpPrintsNoWarning() {
        Cli.Run help = run("--help");
        assertEquals(0, help.code());
        assertEquals("", help.err());
        Cli.Run sweep = run("sweep", "--help");
        assertEquals("", sweep.err());
        assertTrue(sweep.out().contains("pruning 10, 30, 50% + ELF"), sweep.out());
    }

    @Test
    void numericOptionsRefuseNaNAndMeaninglessNegatives(@TempDir Path dir) throws IOException {
        Path model = Models.file(dir, "m.safetensors", 1);
        run("compress", model, "--prune", "NaN").usageError("prune fraction must be between 0 and 1, not NaN");
        run("compress", model, "--prune-threshold", "NaN")
                .usageError("prune threshold must be a finite number >= 0, not NaN");
        run("compress", model, "--min-elements", "-1").usageError("min elements must be 0 or more, not -1");
        run("compress", model, "--prune", "Infinity").usageError("prune fraction");
        run("compress", model, "--prune-threshold", "-Infinity").usageError("prune threshold");
        run("compress", model, "--error-bound", "Infinity").usageError("error bound");
        assertEquals(List.of("m.safetensors"), Cli.listing(dir), "nothing written");
    }

    @Test
    void versionNamesTheKernel() {
        Cli.Run r = run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("kernel " + Kernels.best().name()), r.out());
    }
}
