package dev.elfz.safetensors;

import java.io.IOException;
import java.nio.file.Path;

/** A file that is not a valid safetensors file: the message is one line, the file and what is wrong. */
public final class SafetensorsException extends IOException {

    private final transient Path file;

    public SafetensorsException(Path file, String what) {
        this(file, what, null);
    }

    public SafetensorsException(Path file, String what, Throwable cause) {
        super(Messages.oneLine(file + ": " + what), cause);
        this.file = file;
    }

    /** The file at fault. */
    public Path file() {
        return file;
    }
}
