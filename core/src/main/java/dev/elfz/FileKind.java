package dev.elfz;

import java.util.Locale;

/** What a file of an .elfz file is (FORMAT.md, "Index": a file's {@code kind}). */
public enum FileKind {
    /** A safetensors file: its header, then its tensors. */
    SAFETENSORS,
    /** An ONNX file: its initializers as tensors, every other byte as its skeleton. */
    ONNX,
    /** An external data file of an ONNX file: the initializers stored in it, at their offsets. */
    ONNX_DATA,
    /** A PyTorch checkpoint (torch.save's zip): its storages as tensors, every other byte as its skeleton. */
    TORCH,
    /** A GGUF file: its tensors' data as tensors, every other byte as its skeleton. */
    GGUF,
    /** Any other file, its bytes kept as they are. */
    BLOB;

    /** The name in the index. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
