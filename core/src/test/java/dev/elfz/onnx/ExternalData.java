package dev.elfz.onnx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Converts an ONNX model to the external-data form, as onnx's {@code save_model(..., save_as_external_data=True)}
 * writes models over 2 GB: every initializer whose raw_data has at least {@code threshold} bytes moves into one data
 * file, those of at least {@link #ALIGN_THRESHOLD} bytes aligned to {@link #ALIGNMENT} (so zero gaps lie between
 * tensors), and a few unreferenced bytes follow the last one. Each moved TensorProto loses its raw_data and gains
 * external_data {location, offset, length} and data_location EXTERNAL; every other byte of the model is copied as it is.
 * The protobuf is written by hand (ModelProto.graph -> GraphProto.initializer -> TensorProto), like the reader.
 */
public final class ExternalData {

    public static final long ALIGNMENT = 64 << 10;
    public static final long ALIGN_THRESHOLD = 1 << 20;
    /** What follows the last tensor in the data file, referenced by none. */
    public static final byte[] TAIL = "unreferenced tail".getBytes(StandardCharsets.US_ASCII);

    private final Path source;
    private final byte[] bytes;
    private final MemorySegment model;
    private final String location;
    private final long threshold;
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();
    private int moved;

    private ExternalData(Path source, byte[] model, String location, long threshold) {
        this.source = source;
        this.bytes = model;
        this.model = MemorySegment.ofArray(model);
        this.location = location;
        this.threshold = threshold;
    }

    /**
     * Writes {@code model} in external-data form to {@code out}, its data file at {@code location} beside it.
     *
     * @return the number of initializers moved
     */
    public static int convert(Path model, Path out, String location, long threshold) throws IOException {
        ExternalData c = new ExternalData(model, Files.readAllBytes(model), location, threshold);
        byte[] rewritten = c.message(0, 0, c.model.byteSize());
        c.data.writeBytes(TAIL);
        Path dataFile = out.toAbsolutePath().getParent().resolve(location);
        Files.createDirectories(dataFile.getParent());
        Files.write(dataFile, c.data.toByteArray());
        Files.write(out, rewritten);
        return c.moved;
    }

    /**
     * A message of depth {@code level} (0 ModelProto, 1 GraphProto, 2 TensorProto) rewritten: the graph and its
     * initializers descended into, every other field copied with its tag.
     */
    private byte[] message(int level, long from, long to) throws IOException {
        Wire w = new Wire(source, model, from, to);
        OnnxBytes out = new OnnxBytes();
        if (level == 2) {
            return tensor(w);
        }
        while (w.more()) {
            long at = w.position();
            w.next();
            if (w.type() == Wire.LEN && w.field() == (level == 0 ? 7 : 5)) {
                long n = w.length();
                long start = w.position();
                w.sub(n);
                out.bytes(w.field(), message(level + 1, start, start + n));
            } else {
                w.skip();
                out.raw(bytes(at, w.position()));
            }
        }
        return out.toByteArray();
    }

    /** A TensorProto: its raw_data moved to the data file when it is large enough, else as it was. */
    private byte[] tensor(Wire w) throws IOException {
        OnnxBytes out = new OnnxBytes();
        byte[] raw = null;
        while (w.more()) {
            long at = w.position();
            w.next();
            if (w.field() == 9 && w.type() == Wire.LEN) {
                long n = w.length();
                long start = w.position();
                w.sub(n);
                if (n >= threshold) {
                    raw = bytes(start, start + n);
                    continue;
                }
            } else {
                w.skip();
            }
            out.raw(bytes(at, w.position()));
        }
        if (raw == null) {
            return out.toByteArray();
        }
        if (raw.length >= ALIGN_THRESHOLD && data.size() % ALIGNMENT != 0) {
            data.writeBytes(new byte[(int) (ALIGNMENT - data.size() % ALIGNMENT)]);
        }
        long offset = data.size();
        data.writeBytes(raw);
        moved++;
        return out.message(13, entry("location", location))
                .message(13, entry("offset", Long.toString(offset)))
                .message(13, entry("length", Integer.toString(raw.length)))
                .varint(14, 1)
                .toByteArray();
    }

    /**
     * A crafted TensorProto whose values are external: name, data_type, dims, then an external_data entry per key and
     * value pair, and data_location EXTERNAL.
     */
    public static OnnxBytes tensor(String name, int dataType, long[] dims, String... entries) {
        OnnxBytes t = OnnxBytes.tensor(name, dataType, dims);
        for (int i = 0; i < entries.length; i += 2) {
            t.message(13, entry(entries[i], entries[i + 1]));
        }
        return t.varint(14, 1);
    }

    static OnnxBytes entry(String key, String value) {
        return new OnnxBytes().string(1, key).string(2, value);
    }

    private byte[] bytes(long from, long to) {
        return Arrays.copyOfRange(bytes, (int) from, (int) to);
    }
}
