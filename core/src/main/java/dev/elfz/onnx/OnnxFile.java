package dev.elfz.onnx;

import dev.elfz.Dtype;
import dev.elfz.io.InputChangedException;
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
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * An ONNX model file mapped read-only, its graph's initializers located by reading the protobuf wire format in
 * place (ModelProto.graph, GraphProto.initializer, TensorProto): no protobuf library, which would copy every
 * payload into a heap ByteString. Each initializer whose values lie in one fixed-width run (raw_data, or packed
 * float_data or double_data) is a tensor whose bytes are a slice of the mapping, and so is each tensor of at least
 * 4 KiB inside a node (a Constant's value, the initializers of If/Loop/Scan bodies); every other byte of the file
 * (graph, names, attributes, varint-coded int32_data/int64_data, small constants) is its
 * {@link #skeleton()}, kept verbatim, so that the tensors and the skeleton give back the file exactly. Initializers
 * with data_location EXTERNAL are tensors of the {@link #dataFiles()} they name, mapped as well.
 */
public final class OnnxFile implements AutoCloseable {

    public static final String SUFFIX = ".onnx";

    private static final byte[] LFS_POINTER = "version https://git-lfs".getBytes(StandardCharsets.US_ASCII);

    // TensorProto.DataType values that take a fixed number of bits per element
    private static final int FLOAT = 1;
    private static final int DOUBLE = 11;
    private static final int COMPLEX64 = 14;
    private static final int COMPLEX128 = 15;

    /**
     * An initializer whose values lie in an external data file (data_location EXTERNAL).
     *
     * @param location the file, relative to the model's directory, '/'-separated, without "." or empty parts
     * @param tensor its name, dtype and shape; {@code begin} and {@code end} are offsets in that file
     */
    public record External(String location, TensorInfo tensor) {}

    /** What a ModelProto holds: the tensors inline (offsets in the model file), and those in external data files. */
    public record Parsed(List<TensorInfo> tensors, List<External> external) {}

    private final Path path;
    private final Payloads model;
    private final List<Payloads> data;

    private OnnxFile(Path path, Payloads model, List<Payloads> data) {
        this.path = path;
        this.model = model;
        this.data = List.copyOf(data);
    }

    /**
     * Maps and parses an ONNX file.
     *
     * @throws OnnxException when it cannot be read, is not protobuf, or an initializer is inconsistent
     */
    public static OnnxFile open(Path path) throws OnnxException {
        Arena arena = Arena.ofShared();
        List<Payloads> data = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) {
                throw new OnnxException(path, "empty file, not an ONNX model");
            }
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            Parsed parsed = parse(path, file);
            Map<String, List<TensorInfo>> byLocation = new TreeMap<>();
            parsed.external()
                    .forEach(e -> byLocation
                            .computeIfAbsent(e.location(), k -> new ArrayList<>())
                            .add(e.tensor()));
            for (Map.Entry<String, List<TensorInfo>> e : byLocation.entrySet()) {
                data.add(Payloads.openData(path, e.getKey(), dataFile(path, e.getKey()), e.getValue()));
            }
            return new OnnxFile(
                    path, new Payloads(path.getFileName().toString(), path, arena, file, parsed.tensors()), data);
        } catch (OnnxException e) {
            release(arena, data);
            throw e;
        } catch (NoSuchFileException e) {
            release(arena, data);
            throw new OnnxException(path, "no such file", e);
        } catch (IOException e) {
            release(arena, data);
            throw new OnnxException(path, "cannot read: " + e, e);
        } catch (InternalError e) { // a fault reading the mapping while parsing it (MappedInput)
            release(arena, data);
            throw new OnnxException(path, InputChangedException.WHAT, e);
        } catch (RuntimeException | Error e) {
            release(arena, data);
            throw e;
        }
    }

    private static void release(Arena arena, List<Payloads> data) {
        arena.close();
        data.forEach(Payloads::close);
    }

    /** An external data file of the model at {@code path}: a regular file other than the model, in its directory. */
    private static Path dataFile(Path model, String location) throws IOException {
        Path f = model.toAbsolutePath().getParent().resolve(location);
        if (Files.exists(f) && !Files.isRegularFile(f)) {
            throw new OnnxException(model, "external data file " + location + " is not a regular file");
        }
        if (Files.exists(f) && Files.isSameFile(f, model)) {
            throw new OnnxException(model, "external data location " + location + " names the model itself");
        }
        return f;
    }

    /** The skeleton of a file of this size holding these tensors (absolute offsets). */
    public static Skeleton skeleton(long fileSize, List<TensorInfo> tensors) {
        return new Skeleton(
                fileSize,
                tensors.stream().mapToLong(TensorInfo::begin).toArray(),
                tensors.stream().mapToLong(TensorInfo::end).toArray());
    }

    /**
     * The tensors of a serialized ModelProto, in file order; {@code begin} and {@code end} are offsets in the file.
     *
     * @throws OnnxException for malformed protobuf, a ModelProto without a graph, an initializer whose payload is
     *     not its dims' elements times the type's size, values split over several fields, or external data entries
     *     that are incomplete, malformed or point outside the model's directory (the data files are not opened)
     */
    public static Parsed parse(Path path, MemorySegment file) throws OnnxException {
        if (lfsPointer(file)) {
            throw new OnnxException(path, "a git-LFS pointer file, not the model (run git lfs pull)");
        }
        List<TensorInfo> tensors = new ArrayList<>();
        List<External> external = new ArrayList<>();
        Set<String> names = new HashSet<>();
        List<TensorInfo> nested = new ArrayList<>();
        int nodes = 0;
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
                if (g.field() == 1) {
                    g.expect("GraphProto.node", Wire.LEN);
                    nested(path, file, g.sub(g.length()), "", nodes++, 0, nested);
                    continue;
                }
                if (g.field() != 5) {
                    g.skip();
                    continue;
                }
                g.expect("GraphProto.initializer", Wire.LEN);
                External t = initializer(path, file, g.sub(g.length()));
                if (t != null) {
                    if (!names.add(t.tensor().name())) {
                        throw new OnnxException(
                                path, "initializer " + quote(t.tensor().name()) + " appears twice in the graph");
                    }
                    if (t.location() == null) {
                        tensors.add(t.tensor());
                    } else {
                        external.add(t);
                    }
                }
            }
        }
        if (!graph) {
            throw new OnnxException(path, "no graph (ModelProto field 7): not an ONNX model?");
        }
        for (TensorInfo t : nested) { // named after the graph's own initializers, which keep their names
            String name = t.name();
            for (int i = 2; !names.add(name); i++) {
                name = t.name() + "#" + i;
            }
            tensors.add(new TensorInfo(name, t.dtype(), t.shape(), t.begin(), t.end()));
        }
        tensors.sort(Payloads.BY_OFFSET);
        return new Parsed(List.copyOf(tensors), List.copyOf(external));
    }

    /** Nested tensors smaller than this stay in the skeleton: shape constants and the like, not weights. */
    static final long NESTED_MIN_BYTES = 4096;

    /** Subgraphs deeper than this are kept verbatim (a crafted file cannot exhaust the stack). */
    private static final int MAX_DEPTH = 32;

    /**
     * The weights inside a NodeProto: tensors of its attributes (a Constant's value) and the initializers of its
     * subgraphs (If, Loop, Scan bodies), recursively, each of at least {@link #NESTED_MIN_BYTES} in one inline run,
     * named by where they sit: "node/attribute" or "node/attribute/initializer", a node by its name or else
     * "op#index" (its place in its graph). A nested tensor elfz cannot take as one run, or whose values are external, stays in the skeleton
     * (it is the model's business, as before), never an error.
     */
    private static void nested(
            Path path, MemorySegment file, Wire node, String scope, int index, int depth, List<TensorInfo> out)
            throws OnnxException {
        String name = "";
        String op = "";
        List<long[]> attributes = new ArrayList<>(); // [from, end] of each AttributeProto, read once the name is known
        while (node.more()) {
            node.next();
            switch (node.field()) {
                case 3, 4 -> {
                    node.expect(node.field() == 3 ? "NodeProto.name" : "NodeProto.op_type", Wire.LEN);
                    long n = node.length();
                    String v = utf8(path, file, node.position(), n, "a node's name");
                    node.sub(n);
                    if (node.field() == 3) {
                        name = v;
                    } else {
                        op = v;
                    }
                }
                case 5 -> {
                    node.expect("NodeProto.attribute", Wire.LEN);
                    long n = node.length();
                    attributes.add(new long[] {node.position(), node.position() + n});
                    node.sub(n);
                }
                default -> node.skip();
            }
        }
        String here = scope + (name.isEmpty() ? op + "#" + index : name) + "/";
        for (long[] a : attributes) {
            attribute(path, file, new Wire(path, file, a[0], a[1]), here, depth, out);
        }
    }

    /** AttributeProto: name 1, t 5 (a tensor), g 6 (a graph), tensors 10, graphs 11. */
    private static void attribute(Path path, MemorySegment file, Wire a, String scope, int depth, List<TensorInfo> out)
            throws OnnxException {
        String name = "";
        List<long[]> tensors = new ArrayList<>();
        List<long[]> graphs = new ArrayList<>();
        while (a.more()) {
            a.next();
            if (a.field() == 1 && a.type() == Wire.LEN) {
                long n = a.length();
                name = utf8(path, file, a.position(), n, "an attribute's name");
                a.sub(n);
            } else if ((a.field() == 5 || a.field() == 10 || a.field() == 6 || a.field() == 11)
                    && a.type() == Wire.LEN) {
                long n = a.length();
                (a.field() == 5 || a.field() == 10 ? tensors : graphs).add(new long[] {a.position(), a.position() + n});
                a.sub(n);
            } else {
                a.skip();
            }
        }
        String here = scope + name;
        for (long[] t : tensors) {
            keep(path, file, new Wire(path, file, t[0], t[1]), here, out);
        }
        if (depth >= MAX_DEPTH) {
            return;
        }
        for (long[] g : graphs) {
            Wire graph = new Wire(path, file, g[0], g[1]);
            int nodes = 0;
            while (graph.more()) {
                graph.next();
                if (graph.field() == 1 && graph.type() == Wire.LEN) {
                    nested(path, file, graph.sub(graph.length()), here + "/", nodes++, depth + 1, out);
                } else if (graph.field() == 5 && graph.type() == Wire.LEN) {
                    keep(path, file, graph.sub(graph.length()), here, out);
                } else {
                    graph.skip();
                }
            }
        }
    }

    /** A nested TensorProto as a tensor named "scope/its name" when it is an inline run of enough bytes. */
    private static void keep(Path path, MemorySegment file, Wire t, String scope, List<TensorInfo> out) {
        External e;
        try {
            e = initializer(path, file, t);
        } catch (OnnxException malformed) {
            return; // what ONNX Runtime makes of it is not elfz's to judge: its bytes stay as they are
        }
        if (e != null && e.location() == null && e.tensor().byteSize() >= NESTED_MIN_BYTES) {
            TensorInfo x = e.tensor();
            out.add(new TensorInfo(
                    x.name().isEmpty() ? scope : scope + "/" + x.name(), x.dtype(), x.shape(), x.begin(), x.end()));
        }
    }

    /** True for the few lines git-LFS leaves in place of a file it has not fetched. */
    static boolean lfsPointer(MemorySegment file) {
        return file.byteSize() >= LFS_POINTER.length
                && file.asSlice(0, LFS_POINTER.length).mismatch(MemorySegment.ofArray(LFS_POINTER)) == -1;
    }

    /**
     * One TensorProto: its payload as a tensor (location null: inline), its values in an external file, or null when
     * it has neither in one fixed-width run.
     */
    private static External initializer(Path path, MemorySegment file, Wire t) throws OnnxException {
        List<Long> dims = new ArrayList<>();
        int dataType = 0;
        String name = "";
        long location = 0;
        String payload = null; // the field holding the values in one run
        long payloadAt = 0;
        long payloadBytes = 0;
        Set<String> fields = new LinkedHashSet<>(); // the fields holding values: one at most
        int runs = 0; // packed runs of the payload field: one at most
        boolean unpacked = false; // values of float_data or double_data one per tag
        List<String[]> entries = new ArrayList<>(); // external_data, key and value
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
                    name = utf8(path, file, t.position(), n, "an initializer's name");
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
                    t.expect(
                            "TensorProto."
                                    + (t.field() == 5 ? "int32_data" : t.field() == 7 ? "int64_data" : "uint64_data"),
                            Wire.VARINT,
                            Wire.LEN);
                    fields.add("typed");
                    t.skip();
                }
                case 13 -> {
                    t.expect("TensorProto.external_data", Wire.LEN);
                    entries.add(entry(path, file, t.sub(t.length())));
                }
                case 14 -> {
                    t.expect("TensorProto.data_location", Wire.VARINT);
                    location = t.varint();
                }
                default -> t.skip();
            }
        }
        String what = "initializer " + quote(name);
        if (location == 1 || !entries.isEmpty()) {
            if (!fields.isEmpty()) {
                throw new OnnxException(
                        path,
                        what + ": external data (data_location " + location + ", " + entries.size()
                                + " external_data entries) and values inline in "
                                + String.join(
                                        ", ",
                                        fields.stream()
                                                .map(f -> f.equals("typed") ? "int32/int64/uint64_data" : f)
                                                .toList()));
            }
            return external(path, what, name, dataType, dims, location, entries);
        }
        if (fields.size() > 1) {
            throw new OnnxException(
                    path,
                    what + ": values in " + fields.size() + " fields ("
                            + String.join(
                                    ", ",
                                    fields.stream()
                                            .map(f -> f.equals("typed") ? "int32/int64/uint64_data" : f)
                                            .toList())
                            + "); elfz reads one");
        }
        if (runs > 1 || (runs == 1 && unpacked)) {
            throw new OnnxException(
                    path,
                    what + ": " + payload + " in " + runs + " packed runs" + (unpacked ? " and values one per tag" : "")
                            + "; elfz reads one run");
        }
        if (payload == null || unpacked) {
            return null; // typed values, one value per tag, or none: kept verbatim in the skeleton
        }
        if (!payload.equals("raw_data")) {
            boolean single = payload.equals("float_data");
            if (dataType != (single ? FLOAT : DOUBLE) && dataType != (single ? COMPLEX64 : COMPLEX128)) {
                throw new OnnxException(
                        path,
                        what + ": " + payload + " with data_type " + dataType + ", not "
                                + (single ? "FLOAT (1) or COMPLEX64 (14)" : "DOUBLE (11) or COMPLEX128 (15)"));
            }
        } else if (bits(dataType) == 0) {
            return null; // STRING, UNDEFINED or a type newer than this elfz: kept verbatim in the skeleton
        }
        return new External(null, tensor(path, what, name, dataType, dims, payloadAt, payloadBytes, payload));
    }

    /**
     * The tensor of {@code bytes} at {@code begin} (-1: as many as the dims need) holding values of this type.
     *
     * @throws OnnxException when the bytes are not the dims' elements times the type's size
     */
    private static TensorInfo tensor(
            Path path, String what, String name, int dataType, List<Long> dims, long begin, long bytes, String field)
            throws OnnxException {
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        long elements;
        try {
            elements = Dtype.elements(shape);
        } catch (IllegalArgumentException e) {
            throw new OnnxException(path, what + ": " + e.getMessage());
        }
        int bits = bits(dataType);
        long needed = elements > Long.MAX_VALUE / bits ? -1 : (elements * bits + 7) / 8;
        if (needed < 0 || (bytes >= 0 && needed != bytes)) {
            throw new OnnxException(
                    path,
                    what + ": " + field + " holds " + bytes + " bytes, data_type " + dataType + " dims "
                            + Arrays.toString(shape) + " needs " + (needed < 0 ? "more than 2^63" : needed));
        }
        if (begin > Long.MAX_VALUE - needed) {
            throw new OnnxException(
                    path, what + ": " + field + " at " + begin + " of " + needed + " bytes ends past 2^63");
        }
        Dtype dtype = dtype(dataType);
        if (dtype == null) { // no safetensors name for the type: stored as its bytes
            dtype = Dtype.U8;
            shape = new long[] {needed};
        }
        return new TensorInfo(name, dtype, shape, begin, begin + needed);
    }

    /** A StringStringEntryProto of TensorProto.external_data: {key, value}, each "" when absent. */
    private static String[] entry(Path path, MemorySegment file, Wire e) throws OnnxException {
        String[] kv = {"", ""};
        while (e.more()) {
            e.next();
            if (e.field() == 1 || e.field() == 2) {
                e.expect("StringStringEntryProto." + (e.field() == 1 ? "key" : "value"), Wire.LEN);
                long n = e.length();
                kv[e.field() - 1] = utf8(path, file, e.position(), n, "an external_data entry");
                e.sub(n);
            } else {
                e.skip();
            }
        }
        return kv;
    }

    /**
     * An initializer with data_location EXTERNAL: its entries give the file ({@code location}, relative to the model's
     * directory), {@code offset} (default 0) and {@code length} (default: what the dims need); {@code checksum} and
     * other keys are left to the skeleton, which keeps them.
     */
    private static External external(
            Path path, String what, String name, int dataType, List<Long> dims, long location, List<String[]> entries)
            throws OnnxException {
        if (location != 1) {
            throw new OnnxException(
                    path,
                    what + ": " + entries.size() + " external_data entries but data_location is " + location
                            + ", not EXTERNAL (1)");
        }
        if (entries.isEmpty()) {
            throw new OnnxException(
                    path, what + ": data_location EXTERNAL without external_data entries (no location)");
        }
        Map<String, String> kv = new HashMap<>();
        for (String[] e : entries) {
            if (kv.put(e[0], e[1]) != null) {
                throw new OnnxException(path, what + ": external_data key \"" + e[0] + "\" given twice");
            }
        }
        if (kv.get("location") == null) {
            throw new OnnxException(path, what + ": external_data without a location");
        }
        if (bits(dataType) == 0) {
            throw new OnnxException(
                    path, what + ": external data of data_type " + dataType + ", which has no fixed element size");
        }
        String file = location(path, what, kv.get("location"));
        long offset = number(path, what, kv, "offset", 0);
        long length = number(path, what, kv, "length", -1);
        return new External(file, tensor(path, what, name, dataType, dims, offset, length, "external data"));
    }

    /**
     * A location as the container stores it: relative, '/'-separated, "." and empty parts dropped. Absolute paths,
     * drive letters, backslashes and ".." are refused, as ONNX Runtime refuses them: the data must lie in the model's
     * directory.
     */
    private static String location(Path path, String what, String location) throws OnnxException {
        if (location.startsWith("/")
                || location.contains("\\")
                || location.matches("(?s)[A-Za-z]:.*")
                || location.indexOf('\0') >= 0) {
            throw new OnnxException(
                    path,
                    what + ": external data location \"" + location + "\" is absolute or not a "
                            + "relative '/'-separated path; it must lie in the model's directory");
        }
        List<String> parts = new ArrayList<>();
        for (String part : location.split("/")) {
            if (part.equals("..")) {
                throw new OnnxException(
                        path,
                        what + ": external data location \"" + location + "\" leaves the model's " + "directory (..)");
            }
            if (!part.isEmpty() && !part.equals(".")) {
                parts.add(part);
            }
        }
        if (parts.isEmpty()) {
            throw new OnnxException(path, what + ": external data location \"" + location + "\" names no file");
        }
        return String.join("/", parts);
    }

    /** A non-negative decimal entry, or {@code absent} when there is none. */
    private static long number(Path path, String what, Map<String, String> kv, String key, long absent)
            throws OnnxException {
        String v = kv.get(key);
        if (v == null) {
            return absent;
        }
        try {
            if (v.matches("[0-9]+")) {
                return Long.parseLong(v);
            }
        } catch (NumberFormatException e) {
            // past 2^63: said below
        }
        throw new OnnxException(
                path, what + ": external_data " + key + " \"" + v + "\" is not a number from 0 to 2^63 - 1");
    }

    /** Bits per element of a TensorProto.DataType with fixed-width elements, else 0. */
    private static int bits(int dataType) {
        return switch (dataType) {
            case 2, 3, 9, 17, 18, 19, 20, 24 -> 8; // UINT8 INT8 BOOL FLOAT8E4M3FN E4M3FNUZ E5M2 E5M2FNUZ E8M0
            case 4, 5, 10, 16 -> 16; // UINT16 INT16 FLOAT16 BFLOAT16
            case 1, 6, 12 -> 32; // FLOAT INT32 UINT32
            case 7, 11, 13, 14 -> 64; // INT64 DOUBLE UINT64 COMPLEX64
            case 15 -> 128; // COMPLEX128
            case 21, 22, 23 -> 4; // UINT4 INT4 FLOAT4E2M1, two to a byte
            default -> 0; // UNDEFINED, STRING, newer types
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

    private static String utf8(Path path, MemorySegment file, long at, long n, String what) throws OnnxException {
        MemorySegment bytes = file.asSlice(at, n);
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toArray(ValueLayout.JAVA_BYTE)))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new OnnxException(path, what + " at byte " + at + " is not UTF-8", e);
        }
    }

    private static String quote(String name) {
        return "\"" + name + "\"";
    }

    /** Every tensor whose values lie in the model file, in file order. */
    public List<TensorInfo> tensors() {
        return model.tensors();
    }

    /**
     * The payload of a tensor of the model file: a read-only slice of the mapping, no copy. Valid until {@link #close}.
     *
     * @throws IllegalArgumentException for a TensorInfo that is not one of this file's
     */
    public MemorySegment data(TensorInfo t) {
        return model.data(t);
    }

    /**
     * The file without its tensors' payloads, gathered into one off-heap buffer (its size is the file's less the
     * payloads': for MiniLM 0.1%). Off-heap, not a mapping: a reader that lets its pages go reads it once.
     */
    public MemorySegment skeleton() {
        return model.skeleton();
    }

    /** The external data files, by location, each with the initializers it holds; closed with this file. */
    public List<Payloads> dataFiles() {
        return data;
    }

    public long fileSize() {
        return model.fileSize();
    }

    /** The model file as mapped, of which {@link #data} gives slices. */
    public MemorySegment mapping() {
        return model.mapping();
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() {
        model.close();
        data.forEach(Payloads::close);
    }
}
