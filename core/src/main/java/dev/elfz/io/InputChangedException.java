package dev.elfz.io;

import java.io.IOException;
import java.nio.file.Path;

/** A mapped input file shrank (or lost pages) while elfz was reading it: one line naming the file. */
public final class InputChangedException extends IOException {

    /** What is wrong, after the file's name. */
    public static final String WHAT = "changed while it was being read";

    private final transient Path file;

    public InputChangedException(Path file, Throwable cause) {
        super(file + ": " + WHAT, cause);
        this.file = file;
    }

    /** The file that changed. */
    public Path file() {
        return file;
    }
}
