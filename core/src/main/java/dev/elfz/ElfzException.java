package dev.elfz;

import java.io.IOException;
import java.nio.file.Path;

/** An .elfz file that cannot be read: the message names the file and, where known, the tensor. */
public final class ElfzException extends IOException {

    private final transient Path file;

    public ElfzException(Path file, String what) {
        super(file + ": " + what);
        this.file = file;
    }

    public ElfzException(Path file, String what, Throwable cause) {
        super(file + ": " + what, cause);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
