package dev.elfz.gguf;

import dev.elfz.Dtype;
import dev.elfz.codec.blocks.BlockFields;
import dev.elfz.onnx.Payloads;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A GGUF file (versions 2 and 3, little-endian) read on the mapping: the header, every metadata key and value (only
 * {@code general.alignment} is used; the rest is checked to lie in the file and skipped), the tensor infos, and the
 * data section at the alignment. Each tensor's data is a tensor of the container: F32, F16, BF16, F64 and the integer
 * types as their dtype (shape in row-major order, ggml's dimensions reversed), quantized blocks as bytes (with their
 * block fields, {@link Payloads#blocks}, for the types the blocks codec takes); every other byte is the skeleton.
 */
public final class GgufFile {

    public static final String SUFFIX = ".gguf";

    private static final int MAGIC = 0x46554747; // "GGUF"
    private static final int MAX_DIMS = 4; // GGML_MAX_DIMS
    private static final int MAX_NESTING = 8;
    private static final int STRING = 8;
    private static final int ARRAY = 9;
    private static final int UINT32 = 4;
    // bytes of each metadata value type 0..12 (string and array: variable, 0)
    private static final int[] WIDTH = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

    private GgufFile() {}

    /**
     * Maps and parses a GGUF file.
     *
     * @param name the name the container gives it
     * @throws GgufException when it is not a GGUF file elfz reads, in one line
     */
    public static Payloads open(String name, Path path) throws IOException {
        Map<String, BlockFields> blocks = new HashMap<>();
        Payloads p = Payloads.map(
                name,
                path,
                (at, file) -> {
                    Reader r = new Reader(at, file);
                    List<TensorInfo> tensors = r.read();
                    blocks.putAll(r.blocks);
                    return tensors;
                },
                e -> new GgufException(path, "no such file", e));
        return p.withBlocks(blocks);
    }

    /** The tensors in file order, offsets in the file. */
    public static List<TensorInfo> parse(Path path, MemorySegment file) throws GgufException {
        return new Reader(path, file).read();
    }

    private static final class Reader {
        private final Path path;
        private final MemorySegment file;
        /** The block fields of each quantized tensor of a type the blocks codec takes. */
        private final Map<String, BlockFields> blocks = new HashMap<>();

        private long at;

        Reader(Path path, MemorySegment file) {
            this.path = path;
            this.file = file;
        }

        List<TensorInfo> read() throws GgufException {
            if (file.byteSize() < 24 || (int) u(4) != MAGIC) {
                throw fail("not a GGUF file (no GGUF magic)");
            }
            long version = u(4);
            if (version != 2 && version != 3) {
                throw fail("GGUF version " + version + ", not 2 or 3");
            }
            long tensors = u(8);
            long kvs = u(8);
            count(tensors, 8 + 4 + 4 + 8 + 8, "tensor count"); // each tensor info takes at least this much
            count(kvs, 8 + 4 + 1, "metadata count");
            long alignment = 32;
            for (long i = 0; i < kvs; i++) {
                String key = string("metadata key " + i);
                int type = (int) u(4);
                if (key.equals("general.alignment")) {
                    if (type != UINT32) {
                        throw fail("general.alignment is of type " + type + ", not uint32");
                    }
                    alignment = u(4);
                    if (alignment == 0 || Long.bitCount(alignment) != 1) {
                        throw fail("general.alignment " + alignment + " is not a power of two");
                    }
                } else {
                    value(key, type, 0);
                }
            }
            List<String> names = new ArrayList<>();
            List<long[]> shapes = new ArrayList<>();
            List<GgmlType> types = new ArrayList<>();
            long[] offsets = new long[(int) tensors];
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < tensors; i++) {
                String name = string("tensor name " + i);
                if (!seen.add(name)) {
                    throw fail("tensor " + name + " listed twice");
                }
                long dims = u(4);
                if (dims > MAX_DIMS) {
                    throw fail("tensor " + name + " has " + dims + " dimensions, over ggml's " + MAX_DIMS);
                }
                long[] ne = new long[(int) dims];
                for (int d = 0; d < dims; d++) {
                    ne[(int) dims - 1 - d] = u(8); // ggml's ne[0] varies fastest: the last of a row-major shape
                    if (ne[(int) dims - 1 - d] < 0) {
                        throw fail("tensor " + name + ": dimension " + Long.toUnsignedString(ne[(int) dims - 1 - d]));
                    }
                }
                long id = u(4);
                GgmlType type = GgmlType.of(id);
                if (type == null) {
                    throw fail("tensor " + name + " of unknown ggml type " + id);
                }
                offsets[i] = u(8);
                names.add(name);
                shapes.add(ne);
                types.add(type);
            }
            long data = Math.ceilDiv(at, alignment) * alignment;
            if (data > file.byteSize()) {
                throw fail("the data section at " + data + " begins past the end of the file (" + file.byteSize()
                        + " bytes): truncated");
            }
            List<TensorInfo> out = new ArrayList<>();
            for (int i = 0; i < tensors; i++) {
                out.add(tensor(names.get(i), shapes.get(i), types.get(i), offsets[i], data, alignment));
            }
            out.sort(Comparator.comparingLong(TensorInfo::begin));
            for (int i = 1; i < out.size(); i++) {
                if (out.get(i).begin() < out.get(i - 1).end()) {
                    throw fail("tensors " + out.get(i - 1).name() + " and "
                            + out.get(i).name() + " overlap");
                }
            }
            return out;
        }

        private TensorInfo tensor(String name, long[] shape, GgmlType type, long offset, long data, long alignment)
                throws GgufException {
            long bytes;
            try {
                long n = Dtype.elements(shape);
                long row = shape.length == 0 ? 1 : shape[shape.length - 1];
                if (row % type.block != 0) {
                    throw fail("tensor " + name + ": a row of " + row + " values is not whole blocks of " + type.block
                            + " (" + type + ")");
                }
                bytes = Math.multiplyExact(n / type.block, type.bytes);
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw fail("tensor " + name + ": its size overflows");
            }
            if (offset < 0 || offset % alignment != 0) {
                throw fail("tensor " + name + ": offset " + Long.toUnsignedString(offset) + " is not a multiple of the "
                        + "alignment " + alignment);
            }
            long begin = data + offset;
            if (begin < data || begin > file.byteSize() || bytes > file.byteSize() - begin) {
                throw fail("tensor " + name + " [" + begin + ", +" + bytes + ") runs past the end of the file ("
                        + file.byteSize() + " bytes)");
            }
            if (type.dtype != null) {
                return new TensorInfo(name, type.dtype, shape, begin, begin + bytes);
            }
            if (type.fields != null) {
                blocks.put(name, type.fields);
            }
            return new TensorInfo(name, Dtype.U8, new long[] {bytes}, begin, begin + bytes);
        }

        /** Skips a metadata value, checking that it lies in the file. */
        private void value(String key, int type, int depth) throws GgufException {
            if (type == STRING) {
                string(key);
            } else if (type == ARRAY) {
                if (depth >= MAX_NESTING) {
                    throw fail("metadata " + key + ": arrays nested over " + MAX_NESTING + " deep");
                }
                int inner = (int) u(4);
                long n = u(8);
                if (inner == STRING || inner == ARRAY) {
                    count(n, inner == STRING ? 8 : 12, "metadata " + key + "'s array length");
                    for (long i = 0; i < n; i++) {
                        value(key, inner, depth + 1);
                    }
                } else {
                    width(key, inner);
                    count(n, WIDTH[inner], "metadata " + key + "'s array length");
                    at += n * WIDTH[inner];
                }
            } else {
                width(key, type);
                need(WIDTH[type], "metadata " + key);
                at += WIDTH[type];
            }
        }

        private void width(String key, int type) throws GgufException {
            if (type < 0 || type >= WIDTH.length || WIDTH[type] == 0) {
                throw fail("metadata " + key + " of unknown type " + Integer.toUnsignedString(type));
            }
        }

        /** A count of items of at least {@code each} bytes must fit in what is left of the file. */
        private void count(long n, long each, String what) throws GgufException {
            if (n < 0 || n > (file.byteSize() - at) / each) {
                throw fail(what + " " + Long.toUnsignedString(n) + " is more than the file holds: damaged or "
                        + "truncated");
            }
        }

        private String string(String what) throws GgufException {
            long n = u(8);
            count(n, 1, what + "'s length");
            if (n > Integer.MAX_VALUE - 8) {
                throw fail(what + ": a string of " + n + " bytes");
            }
            ByteBuffer b = file.asSlice(at, n).asByteBuffer();
            at += n;
            try {
                return StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .decode(b)
                        .toString();
            } catch (CharacterCodingException e) {
                throw fail(what + " is not UTF-8");
            }
        }

        private long u(int width) throws GgufException {
            need(width, "the header");
            long v = width == 4
                    ? Integer.toUnsignedLong(
                            file.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), at))
                    : file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), at);
            at += width;
            return v;
        }

        private void need(long n, String what) throws GgufException {
            if (n > file.byteSize() - at) {
                throw fail(what + " runs past the end of the file (" + file.byteSize() + " bytes): truncated");
            }
        }

        private GgufException fail(String what) {
            return new GgufException(path, what);
        }
    }
}
