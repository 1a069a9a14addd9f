package dev.elfz;

import java.util.List;
import java.util.Map;

/**
 * A file of an .elfz file's input, as its index describes it.
 *
 * @param name its exact relative path, '/'-separated: unique in the archive, what it is written as and what
 *     {@link ElfzTensor#file()} and {@link ElfzReader#tensor(String, String)} name it by (bytes that are not UTF-8
 *     as U+DC80..U+DCFF)
 * @param path the same for people: each byte that is no part of a UTF-8 sequence shows as U+FFFD
 * @param size its size in bytes
 * @param header safetensors: its length field and JSON header; else null
 * @param metadata safetensors: its {@code __metadata__}; else empty
 * @param tensors safetensors: its tensors in data-offset order; ONNX, ONNX data: its initializers in file order;
 *     blob: none
 * @param data blob: its bytes; ONNX, ONNX data: every byte outside its tensors; safetensors: null
 */
public record ElfzFile(
        String name,
        String path,
        FileKind kind,
        long size,
        ChunkStream header,
        Map<String, String> metadata,
        List<ElfzTensor> tensors,
        ChunkStream data) {

    public ElfzFile {
        metadata = Map.copyOf(metadata);
        tensors = List.copyOf(tensors);
    }

    /** Bytes the file takes in the .elfz file: its header or data and its tensors. */
    public long storedBytes() {
        long sum = (header != null ? header.storedBytes() : 0) + (data != null ? data.storedBytes() : 0);
        for (ElfzTensor t : tensors) {
            sum += t.storedBytes();
        }
        return sum;
    }
}
