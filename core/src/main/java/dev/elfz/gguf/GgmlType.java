package dev.elfz.gguf;

import dev.elfz.Dtype;
import dev.elfz.codec.blocks.BlockFields;

/**
 * The tensor types of ggml a GGUF file may hold, by id: values per block and bytes per block (llama.cpp's
 * {@code ggml_type} and its type traits). Float and integer types are their dtype; quantized blocks are bytes.
 */
enum GgmlType {
    F32(0, 1, 4, Dtype.F32),
    F16(1, 1, 2, Dtype.F16),
    Q4_0(2, 32, 18, 1, 1, 16),
    Q4_1(3, 32, 20, 1, 1, 1, 1, 16),
    Q5_0(6, 32, 22, 1, 1, 4, 16),
    Q5_1(7, 32, 24, 1, 1, 1, 1, 4, 16),
    Q8_0(8, 32, 34, 1, 1, 32),
    Q8_1(9, 32, 36, 1, 1, 1, 1, 32),
    Q2_K(10, 256, 84, 16, 64, 1, 1, 1, 1),
    Q3_K(11, 256, 110, 32, 64, 12, 1, 1),
    Q4_K(12, 256, 144, 1, 1, 1, 1, 12, 128),
    Q5_K(13, 256, 176, 1, 1, 1, 1, 12, 32, 128),
    Q6_K(14, 256, 210, 128, 64, 16, 1, 1),
    Q8_K(15, 256, 292),
    IQ2_XXS(16, 256, 66),
    IQ2_XS(17, 256, 74),
    IQ3_XXS(18, 256, 98),
    IQ1_S(19, 256, 50),
    IQ4_NL(20, 32, 18),
    IQ3_S(21, 256, 110),
    IQ2_S(22, 256, 82),
    IQ4_XS(23, 256, 136),
    I8(24, 1, 1, Dtype.I8),
    I16(25, 1, 2, Dtype.I16),
    I32(26, 1, 4, Dtype.I32),
    I64(27, 1, 8, Dtype.I64),
    F64(28, 1, 8, Dtype.F64),
    IQ1_M(29, 256, 56),
    BF16(30, 1, 2, Dtype.BF16),
    TQ1_0(34, 256, 54),
    TQ2_0(35, 256, 66),
    MXFP4(39, 32, 17),
    NVFP4(40, 64, 36),
    Q1_0(41, 128, 18),
    Q2_0(42, 64, 18);

    final int id;
    final int block;
    final int bytes;
    /** The dtype of a plain type; null for quantized blocks, which are kept as bytes. */
    final Dtype dtype;
    /**
     * A quantized block's fields in ggml-common.h's struct order, each fp16 as its two bytes apart (its low byte is
     * mantissa, its high byte sign, exponent and two mantissa bits): the planes of the blocks codec; null for types
     * kept as they are.
     */
    final BlockFields fields;

    GgmlType(int id, int block, int bytes, int... fields) {
        this.id = id;
        this.block = block;
        this.bytes = bytes;
        this.dtype = null;
        this.fields = fields.length == 0 ? null : new BlockFields(fields);
        if (this.fields != null && this.fields.blockBytes() != bytes) {
            throw new AssertionError(this + ": fields of " + this.fields.blockBytes() + " bytes");
        }
    }

    GgmlType(int id, int block, int bytes, Dtype dtype) {
        this.id = id;
        this.block = block;
        this.bytes = bytes;
        this.dtype = dtype;
        this.fields = null;
    }

    /** The type of this id, or null. */
    static GgmlType of(long id) {
        for (GgmlType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return null;
    }
}
