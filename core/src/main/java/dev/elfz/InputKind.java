package dev.elfz;

import java.util.Locale;

/** What was compressed into an .elfz file (FORMAT.md, "Index": {@code input}). */
public enum InputKind {
    /** One file: a safetensors, PyTorch or GGUF file, or an ONNX file with its external data files. */
    FILE,
    /** A model directory: every file under it. */
    DIRECTORY;

    /** The name in the index. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
