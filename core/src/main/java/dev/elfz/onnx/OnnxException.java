package dev.elfz.onnx;

import java.io.IOException;
import java.nio.file.Path;

/** A file that is not an ONNX model elfz can read: the message is one line, the file and what is wrong. */
public final class OnnxException extends IOException {

    public OnnxException(Path file, String what) {
        this(file, what, null);
    }

    public OnnxException(Path file, String what, Throwable cause) {
        super((file + ": " + what).replaceAll("\\s*\\R\\s*", " ").strip(), cause);
    }
}
