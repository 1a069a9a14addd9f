package dev.elfz.cli;

import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Shows the library's notes to the user of the command line. elfz-core logs through {@link System.Logger} (a
 * fallback to the Java kernel, an ignored ELFZ_MAX_ISA), which the JDK backs with java.util.logging; this handler
 * prints each note of level INFO or above as one line, {@code elfz: } then the message, on the current stderr.
 */
final class LibraryNotes extends Handler {

    /** Held here: java.util.logging keeps only weak references to its loggers, and their settings with them. */
    private static final Logger LIBRARY = Logger.getLogger("dev.elfz");

    private static boolean installed;

    private LibraryNotes() {
        setLevel(Level.INFO);
        setFormatter(new SimpleFormatter()); // only its formatMessage: the parameters, when a note has any
    }

    /** Routes the library's notes to stderr from now on (idempotent). */
    static synchronized void install() {
        if (!installed) {
            LIBRARY.setUseParentHandlers(false); // not the root handler's two-line format as well
            LIBRARY.setLevel(Level.INFO);
            LIBRARY.addHandler(new LibraryNotes());
            installed = true;
        }
    }

    @Override
    public void publish(LogRecord r) {
        if (isLoggable(r)) {
            System.err.println("elfz: " + Errors.oneLine(getFormatter().formatMessage(r)));
            System.err.flush();
        }
    }

    @Override
    public void flush() {
        System.err.flush();
    }

    @Override
    public void close() {}
}
