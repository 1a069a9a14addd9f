package dev.elfz.codec;

import java.util.Map;

/** A codec's parameters for one tensor, as written in the index's {@code params} (FORMAT.md). */
public interface CodecParams {

    /** Codecs without parameters (raw, elf). */
    CodecParams NONE = Map::of;

    /** The index's {@code params} object; JSON-friendly values only (numbers, strings, booleans, lists). */
    Map<String, Object> toIndex();
}
