package dev.elfz.cli;

import dev.elfz.ElfzOptions;
import java.io.PrintWriter;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A one-line progress bar on stderr, redrawn in place with \r at most ten times a second and erased at the end,
 * so that nothing of it stays in a terminal's scrollback or reaches a log file.
 */
final class ProgressBar implements ElfzOptions.Progress {

    static final long REDRAW_NANOS = 100_000_000L;

    private final PrintWriter err;
    private final String label;
    private final LongSupplier nanoTime;
    private long total;
    private long done;
    private long started;
    private long drawn;
    private int width; // of the longest line drawn, to erase it

    ProgressBar(PrintWriter err, String label, LongSupplier nanoTime) {
        this.err = err;
        this.label = label;
        this.nanoTime = nanoTime;
    }

    /** A bar when {@link #wanted}; else nothing. */
    static ElfzOptions.Progress forTerminal(boolean quiet, PrintWriter err, String label) {
        return wanted(quiet, stderrIsTerminal(), System.getenv("NO_COLOR"))
                ? new ProgressBar(err, label, System::nanoTime)
                : ElfzOptions.Progress.NONE;
    }

    /**
     * A bar only on a terminal, without -q, and without {@code NO_COLOR} (no-color.org: set to anything but the empty
     * string, it asks for plain output; a bar redrawn with \r is not plain).
     */
    static boolean wanted(boolean quiet, boolean terminal, String noColor) {
        return !quiet && terminal && (noColor == null || noColor.isEmpty());
    }

    /**
     * Whether stderr, where the bar goes, is a terminal: the JDK's console tells only of stdin and stdout, so
     * {@code elfz ... 2>log} on a terminal would draw into the log; POSIX isatty(2) tells of stderr itself.
     */
    static boolean stderrIsTerminal() {
        boolean console = System.console() != null && System.console().isTerminal();
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle isatty = linker.defaultLookup()
                    .find("isatty")
                    .map(f ->
                            linker.downcallHandle(f, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT)))
                    .orElse(null);
            return isatty == null ? console : (int) isatty.invokeExact(2) == 1;
        } catch (Throwable e) { // no native access granted, or no such call here: the console's word
            return console;
        }
    }

    @Override
    public void start(long totalBytes) {
        total = totalBytes;
        done = 0;
        started = nanoTime.getAsLong();
        drawn = started; // the first draw after 0.1 s: a quick job shows no bar at all
    }

    @Override
    public void advance(long bytes) {
        done += bytes;
        long now = nanoTime.getAsLong();
        if (now - drawn >= REDRAW_NANOS) {
            drawn = now;
            draw(line((now - started) / 1e9));
        }
    }

    @Override
    public void end() {
        if (width > 0) {
            err.print("\r" + " ".repeat(width) + "\r");
            err.flush();
            width = 0;
        }
    }

    String line(double seconds) {
        double percent = total == 0 ? 100 : 100.0 * done / total;
        return String.format(
                Locale.ROOT,
                "%s %3.0f%%  %s / %s  %s",
                label,
                percent,
                Units.bytes(done),
                Units.bytes(total),
                Units.speed(done, seconds));
    }

    private void draw(String line) {
        width = Math.max(width, line.length());
        err.print("\r" + line + " ".repeat(width - line.length()));
        err.flush();
    }
}
