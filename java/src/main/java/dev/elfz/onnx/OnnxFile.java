package dev.elfz.onnx;

import dev.elfz.safetensors.Dtype;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX model file mapped read-only, its graph's initializers located by reading the protobuf wire format in
 * place (ModelProto.graph, GraphProto.initializer, TensorProto): no protobuf library, which would copy every
 * payload into a heap ByteString. Each initializer whose values lie in one fixed-width run (raw_data, or packed
 * float_data or double_data) is a tensor whose bytes are a slice of the mapping; every other byte of the file
 * (graph, names, attributes, varint-coded int32_data/int64_data, initializers of subgraphs) is its
 * {@link #skeleton()}, kept verbatim, so that the tensors and the skeleton give back the file exactly.
 */
public final class OnnxFile implements AutoCloseable {

    public static final String SUFFIX = ".onnx";

    private static final byte[] LFS_POINTER = "version https://git-lfs".getBytes(StandardCharsets.US_ASCII);

    // TensorProto.DataType values that take a fixed number of bits per element
    private static final int FLOAT = 1;
    private static final int DOUBLE = 11;
    private static final int COMPLEX64 = 14;
    private static final int COMPLEX128 = 15;

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> byName = new HashMap<>();
    private final MemorySegment skeleton;

    private OnnxFile(Path path, Arena arena, MemorySegment file, List<TensorInfo> tensors) throws IOException {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.tensors = tensors;
        tensors.forEach(t -> byName.put(t.name(), t));
        Skeleton s = skeleton(file.byteSize(), tensors);
        // gathered off the heap once: it is one stream of the container, while the file holds it in pieces
        this.skeleton = arena.allocate(Math.max(1, s.size())).asSlice(0, s.size());
        s.forEach(0, s.size(), (at, offset, length) -> MemorySegment.copy(file, at, skeleton, offset, length));
    }

    /**
     * Maps and parses an ONNX file.
     *
     * @throws OnnxException when it cannot be read, is not protobuf, or an initializer is inconsistent
     */
    public static OnnxFile open(Path path) throws OnnxException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) {
                throw new OnnxException(path, "empty file, not an ONNX model");
            }
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new OnnxFile(path, arena, file, parse(path, file));
        } catch (OnnxException e) {
            arena.close();
            throw e;
        } catch (NoSuchFileException e) {
            arena.close();
            throw new OnnxException(path, "no such file", e);
        } catch (IOException e) {
            arena.close();
            throw new OnnxException(path, "cannot read: " + e, e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** The skeleton of a file of this size holding these tensors (absolute offsets). */
    public static Skeleton skeleton(long fileSize, List<TensorInfo> tensors) {
        return new Skeleton(fileSize, tensors.stream().mapToLong(TensorInfo::begin).toArray(),
                tensors.stream().mapToLong(TensorInfo::end).toArray());
    }

    /**
     * The tensors of a serialized ModelProto, in file order; {@code begin} and {@code end} are offsets in the file.
     *
     * @throws OnnxException for malformed protobuf, a ModelProto without a graph, an initializer whose payload is
     *     not its dims' elements times the type's size, values split over several fields, or external data
     */
    public static List<TensorInfo> parse(Path path, MemorySegment file) throws OnnxException {
        if (file.byteSize() >= LFS_POINTER.length
                && file.asSlice(0, LFS_POINTER.length).mismatch(MemorySegment.ofArray(LFS_POINTER)) == -1) {
            throw new OnnxException(path, "a git-LFS pointer file, not the model (run git lfs pull)");
        }
        List<TensorInfo> tensors = new ArrayList<>();
        Map<String, TensorInfo> names = new HashMap<>();
        boolean graph = false;
        Wire model = new Wire(path, file, 0, file.byteSize());
        while (model.more()) {
            model.next();
            if (model.field() != 7) {
                model.skip();
                continue;
            }
            model.expect("ModelProto.graph", Wire.LEN);
            graph = true;
            Wire g = model.sub(model.length());
            while (g.more()) {
                g.next();
                if (g.field() != 5) {
                    g.skip();
                    continue;
                }
                g.expect("GraphProto.initializer", Wire.LEN);
                TensorInfo t = initializer(path, file, g.sub(g.length()));
                if (t != null) {
                    if (names.put(t.name(), t) != null) {
                        throw new OnnxException(path, "initializer " + quote(t.name()) + " appears twice in the graph");
                    }
                    tensors.add(t);
                }
            }
        }
        if (!graph) {
            throw new OnnxException(path, "no graph (ModelProto field 7): not an ONNX model?");
        }
        return List.copyOf(tensors);
    }

    /** One TensorProto: its payload as a tensor, or null when it has none in one fixed-width run. */
    private static TensorInfo initializer(Path path, MemorySegment file, Wire t) throws OnnxException {
        List<Long> dims = new ArrayList<>();
        int dataType = 0;
        String name = "";
        long location = 0;
        String payload = null; // the field holding the values in one run
        long payloadAt = 0;
        long payloadBytes = 0;
        java.util.Set<String> fields = new java.util.LinkedHashSet<>(); // the fields holding values: one at most
        int runs = 0; // packed runs of the payload field: one at most
        boolean unpacked = false; // values of float_data or double_data one per tag
        while (t.more()) {
            t.next();
            switch (t.field()) {
                case 1 -> {
                    t.expect("TensorProto.dims", Wire.VARINT, Wire.LEN);
                    if (t.type() == Wire.VARINT) {
                        dims.add(t.varint());
                    } else {
                        Wire packed = t.sub(t.length());
                        while (packed.more()) {
                            dims.add(packed.varint());
                        }
                    }
                }
                case 2 -> {
                    t.expect("TensorProto.data_type", Wire.VARINT);
                    dataType = (int) Math.min(Integer.MAX_VALUE, t.varint());
                }
                case 8 -> {
                    t.expect("TensorProto.name", Wire.LEN);
                    long n = t.length();
                    name = utf8(path, file, t.position(), n);
                    t.sub(n);
                }
                case 4, 9, 10 -> {
                    String f = t.field() == 4 ? "float_data" : t.field() == 9 ? "raw_data" : "double_data";
                    int single = t.field() == 4 ? Wire.I32 : t.field() == 10 ? Wire.I64 : Wire.LEN;
                    t.expect("TensorProto." + f, Wire.LEN, single);
                    fields.add(f);
                    if (t.type() == Wire.LEN) {
                        runs++;
                        payload = f;
                        payloadBytes = t.length();
                        payloadAt = t.position();
                        t.sub(payloadBytes);
                    } else {
                        unpacked = true;
                        t.skip();
                    }
                }
                case 5, 7, 11 -> {
                    t.expect("TensorProto." + (t.field() == 5 ? "int32_data" : t.field() == 7 ? "int64_data"
                            : "uint64_data"), Wire.VARINT, Wire.LEN);
                    fields.add("typed");
                    t.skip();
                }
                case 13 -> {
                    t.expect("TensorProto.external_data", Wire.LEN);
                    t.skip();
                }
                case 14 -> {
                    t.expect("TensorProto.data_location", Wire.VARINT);
                    location = t.varint();
                }
                default -> t.skip();
            }
        }
        String what = "initializer " + quote(name);
        if (location == 1) {
            throw new OnnxException(path, what + ": its values are in an external file (data_location EXTERNAL, "
                    + "models over 2 GB); elfz does not read external data yet");
        }
        if (fields.size() > 1) {
            throw new OnnxException(path, what + ": values in " + fields.size() + " fields (" + String.join(", ",
                    fields.stream().map(f -> f.equals("typed") ? "int32/int64/uint64_data" : f).toList())
                    + "); elfz reads one");
        }
        if (runs > 1 || (runs == 1 && unpacked)) {
            throw new OnnxException(path, what + ": " + payload + " in " + runs + " packed runs"
                    + (unpacked ? " and values one per tag" : "") + "; elfz reads one run");
        }
        if (payload == null || unpacked) {
            return null; // typed values, one value per tag, or none: kept verbatim in the skeleton
        }
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = dims.get(i);
        }
        long elements;
        try {
            elements = Dtype.elements(shape);
        } catch (IllegalArgumentException e) {
            throw new OnnxException(path, what + ": " + e.getMessage());
        }
        int bits = bits(dataType);
        Dtype dtype = dtype(dataType);
        if (!payload.equals("raw_data")) {
            boolean single = payload.equals("float_data");
            if (dataType != (single ? FLOAT : DOUBLE) && dataType != (single ? COMPLEX64 : COMPLEX128)) {
                throw new OnnxException(path, what + ": " + payload + " with data_type " + dataType + ", not "
                        + (single ? "FLOAT (1) or COMPLEX64 (14)" : "DOUBLE (11) or COMPLEX128 (15)"));
            }
        } else if (bits == 0) {
            return null; // STRING, UNDEFINED or a type newer than this elfz: kept verbatim in the skeleton
        }
        long needed = elements > Long.MAX_VALUE / bits ? -1 : (elements * bits + 7) / 8;
        if (needed != payloadBytes) {
            throw new OnnxException(path, what + ": " + payload + " holds " + payloadBytes + " bytes, data_type "
                    + dataType + " dims " + Arrays.toString(shape) + " needs " + (needed < 0 ? "more than 2^63" : needed));
        }
        if (dtype == null) { // no safetensors name for the type: stored as its bytes
            dtype = Dtype.U8;
            shape = new long[] {payloadBytes};
        }
        return new TensorInfo(name, dtype, shape, payloadAt, payloadAt + payloadBytes);
    }

    /** Bits per element of a TensorProto.DataType with fixed-width elements, else 0. */
    private static int bits(int dataType) {
        return switch (dataType) {
            case 2, 3, 9, 17, 18, 19, 20, 24 -> 8;  // UINT8 INT8 BOOL FLOAT8E4M3FN E4M3FNUZ E5M2 E5M2FNUZ E8M0
            case 4, 5, 10, 16 -> 16;               // UINT16 INT16 FLOAT16 BFLOAT16
            case 1, 6, 12 -> 32;                   // FLOAT INT32 UINT32
            case 7, 11, 13, 14 -> 64;              // INT64 DOUBLE UINT64 COMPLEX64
            case 15 -> 128;                        // COMPLEX128
            case 21, 22, 23 -> 4;                  // UINT4 INT4 FLOAT4E2M1, two to a byte
            default -> 0;                          // UNDEFINED, STRING, newer types
        };
    }

    /** The safetensors dtype of the same elements, or null (COMPLEX128, the 4-bit types). */
    private static Dtype dtype(int dataType) {
        return switch (dataType) {
            case 1 -> Dtype.F32;
            case 2 -> Dtype.U8;
            case 3 -> Dtype.I8;
            case 4 -> Dtype.U16;
            case 5 -> Dtype.I16;
            case 6 -> Dtype.I32;
            case 7 -> Dtype.I64;
            case 9 -> Dtype.BOOL;
            case 10 -> Dtype.F16;
            case 11 -> Dtype.F64;
            case 12 -> Dtype.U32;
            case 13 -> Dtype.U64;
            case 14 -> Dtype.C64;
            case 16 -> Dtype.BF16;
            case 17 -> Dtype.F8_E4M3;
            case 18 -> Dtype.F8_E4M3FNUZ;
            case 19 -> Dtype.F8_E5M2;
            case 20 -> Dtype.F8_E5M2FNUZ;
            case 24 -> Dtype.F8_E8M0;
            default -> null;
        };
    }

    private static String utf8(Path path, MemorySegment file, long at, long n) throws OnnxException {
        MemorySegment bytes = file.asSlice(at, n);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toArray(ValueLayout.JAVA_BYTE))).toString();
        } catch (CharacterCodingException e) {
            throw new OnnxException(path, "an initializer's name at byte " + at + " is not UTF-8", e);
        }
    }

    private static String quote(String name) {
        return "\"" + name + "\"";
    }

    /** Every tensor in file order. */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    /**
     * The payload of a tensor of this file: a read-only slice of the mapping, no copy. Valid until {@link #close}.
     *
     * @throws IllegalArgumentException for a TensorInfo that is not one of this file's
     */
    public MemorySegment data(TensorInfo t) {
        if (!t.equals(byName.get(t.name()))) {
            throw new IllegalArgumentException(path + ": " + t + " is not a tensor of this file");
        }
        return file.asSlice(t.begin(), t.byteSize());
    }

    /**
     * The file without its tensors' payloads, gathered into one off-heap buffer (its size is the file's less the
     * payloads': for MiniLM 0.1%). Off-heap, not a mapping: a reader that lets its pages go reads it once.
     */
    public MemorySegment skeleton() {
        return skeleton;
    }

    public long fileSize() {
        return file.byteSize();
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() {
        arena.close();
    }
}
