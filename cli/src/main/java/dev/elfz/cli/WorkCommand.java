package dev.elfz.cli;

import dev.elfz.ElfzOptions;
import dev.elfz.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** A command that reads or writes a whole model: -q, -T, a progress bar, the output's directory checked. */
abstract class WorkCommand extends ElfzCommand {

    @Option(
            names = {"-q", "--quiet"},
            description = "Print nothing but errors.")
    boolean quiet;

    @Option(
            names = {"-T", "--threads"},
            paramLabel = "N",
            defaultValue = "0",
            description = "Worker threads (default 0: one per core).")
    int threads;

    /** Default options with -T and a progress bar named {@code label}. */
    ElfzOptions options(String label) {
        if (threads < 0) {
            throw new ParameterException(spec.commandLine(), "-T must be 0 (every core) or more, not " + threads);
        }
        int t = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        ElfzOptions.Progress bar = ProgressBar.forTerminal(quiet, err(), label);
        ElfzOptions.Progress progress = !verbose
                ? bar
                : new ElfzOptions.Progress() { // -v: notes too
                    public void start(long total) {
                        bar.start(total);
                    }

                    public void advance(long bytes) {
                        bar.advance(bytes);
                    }

                    public void note(String line) {
                        err().println("elfz: " + Errors.oneLine(line));
                        err().flush();
                    }

                    public void end() {
                        bar.end();
                    }
                };
        return ElfzOptions.defaults().withThreads(t).withProgress(progress);
    }

    /**
     * Says which output cannot be written and why before any work; the library would fail later, naming its
     * hidden temporary file instead. What an existing output may be replaced by is the library's rule
     * ({@link AtomicFiles#checkTarget}).
     *
     * @param directory whether the output is a model directory
     */
    static void checkWritable(Path out, boolean directory, boolean force) throws IOException {
        Path dir = out.toAbsolutePath().getParent();
        String why = dir == null
                ? null
                : !Files.exists(dir)
                        ? "directory " + dir + " does not exist"
                        : !Files.isDirectory(dir)
                                ? dir + " is not a directory"
                                : !Files.isWritable(dir) ? "permission denied in " + dir : null;
        if (why != null) {
            throw new IOException(out + ": cannot write: " + why);
        }
        if (force) { // without -f, an existing output is the library's own error
            AtomicFiles.checkTarget(out, true, directory);
        }
    }
}
