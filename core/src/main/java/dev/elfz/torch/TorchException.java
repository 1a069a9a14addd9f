package dev.elfz.torch;

import java.io.IOException;
import java.nio.file.Path;

/** A file that is not a PyTorch checkpoint elfz can read: the message is one line, the file and what is wrong. */
public final class TorchException extends IOException {

    public TorchException(Path file, String what) {
        this(file, what, null);
    }

    public TorchException(Path file, String what, Throwable cause) {
        super((file + ": " + what).replaceAll("\\s*\\R\\s*", " ").strip(), cause);
    }
}
