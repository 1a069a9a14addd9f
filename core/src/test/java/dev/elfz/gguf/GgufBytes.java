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
}
