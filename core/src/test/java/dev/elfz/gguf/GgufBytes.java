package dev.elfz.gguf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes GGUF v3 files as llama.cpp's gguf writer lays them out: header, metadata, tensor infos, padding to the
 * alignment, then each tensor's data at an offset that is a multiple of the alignment (padded with zeros). For tests
 * and for the BERT sample ({@code dev.elfz.samples.BertGguf}); checked by an independent parser in
 * benchmarks/gguf/check.mjs.
 */
public final class GgufBytes {

    /** A tensor: ggml type id, dims in ggml's order (ne[0] first, varying fastest), its data. */
    public record Tensor(String name, int type, long[] ne, MemorySegment data) {}

    private final ByteArrayOutputStream kv = new ByteArrayOutputStream();
    private final List<Tensor> tensors = new ArrayList<>();
    private int kvCount;
    private long alignment = 32;
    private int version = 3;

    public GgufBytes string(String key, String value) {
        str(kv, key);
        put(kv, 8, 4);
        str(kv, value);
        kvCount++;
        return this;
    }

    public GgufBytes u32(String key, long value) {
        str(kv, key);
        put(kv, 4, 4);
        put(kv, value, 4);
        kvCount++;
        if (key.equals("general.alignment")) {
            alignment = value;
        }
        return this;
    }

    public GgufBytes f32(String key, float value) {
        str(kv, key);
        put(kv, 6, 4);
        put(kv, Float.floatToRawIntBits(value), 4);
        kvCount++;
        return this;
    }

    public GgufBytes strings(String key, String... values) {
        str(kv, key);
        put(kv, 9, 4);
        put(kv, 8, 4);
        put(kv, values.length, 8);
        for (String v : values) {
            str(kv, v);
        }
        kvCount++;
        return this;
    }

    public GgufBytes version(int v) {
        this.version = v;
        return this;
    }

    public GgufBytes tensor(String name, int type, long[] ne, MemorySegment data) {
        tensors.add(new Tensor(name, type, ne, data));
        return this;
    }

    public GgufBytes tensor(String name, int type, long[] ne, byte[] data) {
        return tensor(name, type, ne, MemorySegment.ofArray(data));
    }

    /** Header, metadata and tensor infos, padded to the alignment: what comes before the data. */
    private byte[] head() {
        ByteArrayOutputStream h = new ByteArrayOutputStream();
        h.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        put(h, version, 4);
        put(h, tensors.size(), 8);
        put(h, kvCount, 8);
        h.writeBytes(kv.toByteArray());
        long offset = 0;
        for (Tensor t : tensors) {
            str(h, t.name());
            put(h, t.ne().length, 4);
            for (long d : t.ne()) {
                put(h, d, 8);
            }
            put(h, t.type(), 4);
            put(h, offset, 8);
            offset = pad(offset + t.data().byteSize());
        }
        while (h.size() % alignment != 0) {
            h.write(0);
        }
        return h.toByteArray();
    }

    private long pad(long n) {
        return (n + alignment - 1) / alignment * alignment;
    }

    public byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] head = head();
        out.writeBytes(head);
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            out.writeBytes(t.data().toArray(ValueLayout.JAVA_BYTE));
            if (i < tensors.size() - 1) {
                while ((out.size() - head.length) % alignment != 0) {
                    out.write(0);
                }
            }
        }
        return out.toByteArray();
    }

    /** Writes the file, the tensors' data streamed from their segments. */
    public void write(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(
                path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(head()));
            for (int i = 0; i < tensors.size(); i++) {
                ByteBuffer b = tensors.get(i).data().asByteBuffer();
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                long size = tensors.get(i).data().byteSize();
                if (i < tensors.size() - 1) {
                    ch.write(ByteBuffer.allocate((int) (pad(size) - size)));
                }
            }
        }
    }

    private static void str(ByteArrayOutputStream o, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        put(o, b.length, 8);
        o.writeBytes(b);
    }

    private static void put(ByteArrayOutputStream o, long v, int width) {
        for (int i = 0; i < width; i++) {
            o.write((int) (v >>> (8 * i)));
        }
    }

    /** llama.cpp's Q8_0 of float32 values (a multiple of 32): per block an fp16 scale max|x|/127, then 32 int8. */
    public static byte[] q8_0(float[] x) {
        ByteBuffer b = ByteBuffer.allocate(x.length / 32 * 34).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < x.length; i += 32) {
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(x[i + j]));
            }
            float d = amax / 127;
            float id = d != 0 ? 1 / d : 0;
            b.putShort(Float.floatToFloat16(d));
            for (int j = 0; j < 32; j++) {
                float v = x[i + j] * id; // roundf: halves away from zero; |v| <= 127
                b.put((byte) (Math.signum(v) * Math.round(Math.abs(v))));
            }
        }
        return b.array();
    }

    /**
     * llama.cpp's Q4_0 (quantize_row_q4_0_ref) of float32 values (a multiple of 32): per block an fp16 scale {@code
     * d = max / -8} (max: the value of largest magnitude), then 16 bytes: {@code min(15, (int8) (x / d + 8.5))} of value
     * {@code j} in the low nibble of byte {@code j}, of value {@code j + 16} in its high nibble.
     */
    public static byte[] q4_0(float[] x) {
        ByteBuffer b = ByteBuffer.allocate(x.length / 32 * 18).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < x.length; i += 32) {
            float amax = 0;
            float max = 0;
            for (int j = 0; j < 32; j++) {
                if (amax < Math.abs(x[i + j])) {
                    amax = Math.abs(x[i + j]);
                    max = x[i + j];
                }
            }
            float d = max / -8;
            float id = d != 0 ? 1 / d : 0;
            b.putShort(Float.floatToFloat16(d));
            for (int j = 0; j < 16; j++) {
                int lo = Math.min(15, (int) (x[i + j] * id + 8.5f)); // C's cast truncates toward zero
                int hi = Math.min(15, (int) (x[i + 16 + j] * id + 8.5f));
                b.put((byte) (lo | hi << 4));
            }
        }
        return b.array();
    }

    /**
     * Q4_K blocks of 256 float32 values in ggml's layout (block_q4_K: fp16 d, fp16 dmin, 12 bytes of 6-bit scales and
     * mins packed as get_scale_min_k4 reads them, 128 bytes of nibbles: value {@code 64k + l} in the low nibble of byte
     * {@code 32k + l}, value {@code 64k + 32 + l} in its high nibble). Each sub-block of 32 takes its own min and max
     * (ggml's quantize_row_q4_K_ref searches for a better scale with make_qkx2_quants; the layout and the arithmetic
     * of dequantization are the same).
     */
    public static byte[] q4_K(float[] x) {
        ByteBuffer b = ByteBuffer.allocate(x.length / 256 * 144).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < x.length; i += 256) {
            float[] scale = new float[8];
            float[] min = new float[8];
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < 8; j++) {
                float lo = 0; // ggml keeps the min at or below 0
                float hi = -Float.MAX_VALUE;
                for (int l = 0; l < 32; l++) {
                    lo = Math.min(lo, x[i + 32 * j + l]);
                    hi = Math.max(hi, x[i + 32 * j + l]);
                }
                scale[j] = (hi - lo) / 15;
                min[j] = -lo;
                maxScale = Math.max(maxScale, scale[j]);
                maxMin = Math.max(maxMin, min[j]);
            }
            float d = Float.float16ToFloat(Float.floatToFloat16(maxScale / 63));
            float dmin = Float.float16ToFloat(Float.floatToFloat16(maxMin / 63));
            byte[] sc = new byte[12];
            int[] ls = new int[8];
            int[] lm = new int[8];
            for (int j = 0; j < 8; j++) {
                ls[j] = d > 0 ? Math.min(63, Math.round(scale[j] / d)) : 0;
                lm[j] = dmin > 0 ? Math.min(63, Math.round(min[j] / dmin)) : 0;
                if (j < 4) {
                    sc[j] = (byte) ls[j];
                    sc[j + 4] = (byte) lm[j];
                } else {
                    sc[j + 4] = (byte) ((ls[j] & 0xF) | (lm[j] & 0xF) << 4);
                    sc[j - 4] |= (byte) ((ls[j] >> 4) << 6);
                    sc[j] |= (byte) ((lm[j] >> 4) << 6);
                }
            }
            int[] q = new int[256];
            for (int j = 0; j < 8; j++) {
                float dj = d * ls[j];
                float mj = dmin * lm[j];
                for (int l = 0; l < 32; l++) {
                    int v = dj > 0 ? Math.round((x[i + 32 * j + l] + mj) / dj) : 0;
                    q[32 * j + l] = Math.clamp(v, 0, 15);
                }
            }
            b.putShort(Float.floatToFloat16(d))
                    .putShort(Float.floatToFloat16(dmin))
                    .put(sc);
            for (int k = 0; k < 256; k += 64) {
                for (int l = 0; l < 32; l++) {
                    b.put((byte) (q[k + l] | q[k + 32 + l] << 4));
                }
            }
        }
        return b.array();
    }

    /**
     * Q6_K blocks of 256 float32 values in ggml's layout (block_q6_K: 128 bytes of low nibbles, 64 of high 2-bit pairs,
     * 16 int8 scales, fp16 d; quants {@code q + 32} in 0..63, packed as quantize_row_q6_K_ref packs them). Each
     * sub-block of 16 takes the scale of its value of largest magnitude, {@code max / -32} (ggml refines it with
     * make_qx_quants); the super-block scale as ggml's, {@code d = max scale / -128}.
     */
    public static byte[] q6_K(float[] x) {
        ByteBuffer b = ByteBuffer.allocate(x.length / 256 * 210).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < x.length; i += 256) {
            float[] scale = new float[16];
            float maxScale = 0;
            float maxAbs = 0;
            for (int j = 0; j < 16; j++) {
                float amax = 0;
                float max = 0;
                for (int l = 0; l < 16; l++) {
                    if (amax < Math.abs(x[i + 16 * j + l])) {
                        amax = Math.abs(x[i + 16 * j + l]);
                        max = x[i + 16 * j + l];
                    }
                }
                scale[j] = max / -32;
                if (Math.abs(scale[j]) > maxAbs) {
                    maxAbs = Math.abs(scale[j]);
                    maxScale = scale[j];
                }
            }
            float iscale = maxScale != 0 ? -128 / maxScale : 0;
            float d = Float.float16ToFloat(Float.floatToFloat16(iscale != 0 ? 1 / iscale : 0));
            byte[] sc = new byte[16];
            int[] q = new int[256];
            for (int j = 0; j < 16; j++) {
                sc[j] = (byte) Math.min(127, Math.round(iscale * scale[j]));
                float dj = d * sc[j];
                for (int l = 0; l < 16; l++) {
                    int v = dj != 0 ? Math.round(x[i + 16 * j + l] / dj) : 0;
                    q[16 * j + l] = Math.clamp(v, -32, 31) + 32;
                }
            }
            byte[] ql = new byte[128];
            byte[] qh = new byte[64];
            for (int k = 0, o = 0; k < 256; k += 128, o++) {
                for (int l = 0; l < 32; l++) {
                    ql[64 * o + l] = (byte) ((q[k + l] & 0xF) | (q[k + l + 64] & 0xF) << 4);
                    ql[64 * o + l + 32] = (byte) ((q[k + l + 32] & 0xF) | (q[k + l + 96] & 0xF) << 4);
                    qh[32 * o + l] = (byte) ((q[k + l] >> 4)
                            | (q[k + l + 32] >> 4) << 2
                            | (q[k + l + 64] >> 4) << 4
                            | (q[k + l + 96] >> 4) << 6);
                }
            }
            b.put(ql).put(qh).put(sc).putShort(Float.floatToFloat16(d));
        }
        return b.array();
    }
}
