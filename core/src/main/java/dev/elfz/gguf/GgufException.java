package dev.elfz.gguf;

import java.io.IOException;
import java.nio.file.Path;

/** A file that is not a GGUF file elfz can read: the message is one line, the file and what is wrong. */
public final class GgufException extends IOException {

    public GgufException(Path file, String what) {
        this(file, what, null);
    }

    public GgufException(Path file, String what, Throwable cause) {
        super((file + ": " + what).replaceAll("\\s*\\R\\s*", " ").strip(), cause);
    }
}
