package dev.elfz.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.elfz.chart.Charts;
import dev.elfz.io.AtomicFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** What every file command has: -v, --json, and where it prints. */
abstract class ElfzCommand implements Callable<Integer> {

    static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .enable(SerializationFeature.INDENT_OUTPUT);

    @Option(
            names = {"-v", "--verbose"},
            description = "More detail: a line per tensor; a stack trace on errors.")
    boolean verbose;

    @Option(names = "--json", description = "Print a machine-readable summary on stdout instead.")
    boolean json;

    @Spec
    CommandSpec spec;

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    void printJson(Object value) throws IOException {
        out().println(JSON.writeValueAsString(value));
        out().flush();
    }

    /** The input, or the usual one-line error when it is missing (before any library call names it otherwise). */
    static Path existing(Path p) throws NoSuchFileException {
        if (!Files.exists(p)) {
            throw new NoSuchFileException(p.toString());
        }
        return p;
    }

    /** An .elfz input: an existing regular file (mapping a directory fails with a bare "No such device"). */
    static Path existingFile(Path p) throws IOException {
        if (Files.isDirectory(existing(p))) {
            throw new IOException(p + ": is a directory, not an .elfz file");
        }
        return p;
    }

    /**
     * Checks a --plot target before the work, which may take minutes: a usage error for an extension other than
     * .png or .svg, the usual one-line error when it cannot be written.
     */
    void checkPlot(Path plot) throws IOException {
        try {
            Charts.Format.of(plot);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--plot: " + e.getMessage());
        }
        AtomicFiles.checkTarget(plot, true);
    }

    /** A path as the user would type it: relative to the working directory when below it. */
    static String shown(Path p) {
        Path cwd = Path.of("").toAbsolutePath();
        Path abs = p.toAbsolutePath().normalize();
        return abs.startsWith(cwd) && !abs.equals(cwd) ? cwd.relativize(abs).toString() : p.toString();
    }
}
