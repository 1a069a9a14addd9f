package dev.elfz.samples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Reads the index of a TensorFlow tensor bundle ({@code variables.index} of a SavedModel, {@code *.index} of a
 * checkpoint): which tensor lies where in the {@code .data-NNNNN-of-NNNNN} shards, with its dtype and shape.
 *
 * <p>The index is a LevelDB table (TensorFlow's copy, {@code tensorflow/core/lib/io/table}): a 48-byte footer
 * (metaindex and index block handles, padding, magic {@code 0xdb4775248b80fb57}), an index block whose values
 * are handles of data blocks, and data blocks of prefix-compressed keys. Every block is followed by a compression
 * byte and a masked crc32c, both checked. The empty key holds the {@code BundleHeaderProto}; every other key is a
 * tensor name whose value is a {@code BundleEntryProto} ({@code tensorflow/core/protobuf/tensor_bundle.proto}),
 * decoded here by hand. TensorFlow writes the index uncompressed; Snappy blocks and partitioned (sliced) tensors
 * are refused. Every problem is an {@link IOException} of one line.
 */
public final class TfBundle {

    /** TensorFlow's (and LevelDB's) table magic number, the footer's last 8 bytes, little-endian. */
    public static final long MAGIC = 0xdb4775248b80fb57L;

    private static final int FOOTER = 48;
    private static final int TRAILER = 5;
    private static final int MASK_DELTA = 0xa282ead8;

    /**
     * One tensor of the bundle.
     *
     * @param dtype its safetensors dtype name (F32, F64, F16, BF16, I8 ... I64, U8 ... U64, BOOL)
     * @param shape the dimensions, outermost first ({@code []} for a scalar)
     * @param offset where its bytes start in data shard {@code shardId}
     * @param size its bytes: elements times the dtype's size
     * @param crc32c the crc32c of its bytes, as {@link CRC32C} computes it (the index stores it masked)
     */
    public record Entry(String name, String dtype, long[] shape, int shardId, long offset, long size, int crc32c) {

        public Entry {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** The number of values: the product of the dimensions. */
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entry e
                    && name.equals(e.name)
                    && dtype.equals(e.dtype)
                    && Arrays.equals(shape, e.shape)
                    && shardId == e.shardId
                    && offset == e.offset
                    && size == e.size
                    && crc32c == e.crc32c;
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Long.hashCode(offset);
        }

        @Override
        public String toString() {
            return name + " " + dtype + Arrays.toString(shape) + " shard " + shardId + " @" + offset + "+" + size;
        }
    }

    private TfBundle() {}

    /** Reads {@code path} (a bundle's {@code .index} file) as {@link #parse} does; messages name the file. */
    public static List<Entry> read(Path path) throws IOException {
        byte[] bytes = Files.readAllBytes(path);
        try {
            return parse(bytes);
        } catch (IOException e) {
            throw new IOException(path + ": " + e.getMessage(), e);
        }
    }

    /** The bundle's tensors in the index's order (by name, byte-wise). */
    public static List<Entry> parse(byte[] index) throws IOException {
        int footer = index.length - FOOTER;
        if (footer < 0) {
            throw new IOException("index of " + index.length + " bytes is shorter than the 48-byte table footer");
        }
        long magic = new Cursor(index, index.length - 8, index.length, "footer").fixed64();
        if (magic != MAGIC) {
            throw new IOException(
                    String.format("bad table magic 0x%016x (want 0x%016x): not a tensor bundle index", magic, MAGIC));
        }
        Cursor f = new Cursor(index, footer, index.length - 8, "footer");
        block(index, footer, f, "metaindex block"); // checked, not used
        Block indexBlock = block(index, footer, f, "index block");
        List<Entry> out = new ArrayList<>();
        int shards = -1;
        byte[] last = null;
        while (indexBlock.next()) {
            Block data = block(index, footer, indexBlock.value(), "data block");
            while (data.next()) {
                if (last != null && Arrays.compareUnsigned(last, data.key) >= 0) {
                    throw new IOException("keys out of order at \"" + data.name() + "\"");
                }
                last = data.key;
                if (data.key.length == 0) {
                    shards = header(data.value());
                } else if (shards < 0) {
                    throw new IOException("no bundle header (empty key) before \"" + data.name() + "\"");
                } else {
                    out.add(entry(data.name(), data.value(), shards));
                }
            }
        }
        if (shards < 0) {
            throw new IOException("no bundle header (empty key): not a tensor bundle index");
        }
        return out;
    }

    /** TensorFlow's {@code crc32c::Mask}, as tables and bundles store checksums. */
    public static int mask(int crc) {
        return ((crc >>> 15) | (crc << 17)) + MASK_DELTA;
    }

    /** The inverse of {@link #mask}. */
    public static int unmask(int masked) {
        int rot = masked - MASK_DELTA;
        return (rot >>> 17) | (rot << 15);
    }

    /** The block whose handle (two varints: offset, size) {@code handle} reads next, trailer checked. */
    private static Block block(byte[] file, int limit, Cursor handle, String what) throws IOException {
        long offset = handle.varint64();
        long size = handle.varint64();
        if (offset < 0 || size < 0 || size > limit - offset - TRAILER) {
            throw new IOException(what + " at " + offset + " (" + size + " bytes + 5) lies outside the " + limit
                    + " bytes before the footer");
        }
        if (size < 4) {
            throw new IOException(what + " at " + offset + " is " + size + " bytes, too small for a block");
        }
        int start = (int) offset, end = (int) (offset + size);
        int type = file[end];
        if (type == 1) {
            throw new IOException(what + " at " + offset + " is Snappy-compressed; only uncompressed indexes are read");
        } else if (type != 0) {
            throw new IOException(what + " at " + offset + " has unknown compression type " + type);
        }
        CRC32C crc = new CRC32C();
        crc.update(file, start, (int) size + 1);
        int stored = new Cursor(file, end + 1, end + TRAILER, what).fixed32();
        if (unmask(stored) != (int) crc.getValue()) {
            throw new IOException(what + " at " + offset + ": checksum mismatch");
        }
        int restarts = new Cursor(file, end - 4, end, what).fixed32();
        if (restarts < 0 || restarts > (size - 4) / 4) {
            throw new IOException(what + " at " + offset + ": " + Integer.toUnsignedString(restarts)
                    + " restart points do not fit in " + size + " bytes");
        }
        return new Block(file, start, end - 4 - 4 * restarts, what + " at " + offset);
    }

    /** {@code BundleHeaderProto}: returns num_shards; a big-endian bundle is refused. */
    private static int header(Cursor c) throws IOException {
        long shards = 0, endianness = 0;
        while (c.more()) {
            int tag = c.tag();
            switch (tag) {
                case 1 << 3 -> shards = c.varint64();
                case 2 << 3 -> endianness = c.varint64();
                default -> c.skip(tag);
            }
        }
        if (endianness != 0) {
            throw new IOException("big-endian bundle (endianness " + endianness + ") is not supported");
        }
        if (shards < 1 || shards > Integer.MAX_VALUE) {
            throw new IOException("bundle header says " + shards + " shards");
        }
        return (int) shards;
    }

    /** {@code BundleEntryProto}: dtype 1, shape 2, shard_id 3, offset 4, size 5, crc32c 6 (fixed32), slices 7. */
    private static Entry entry(String name, Cursor c, int shards) throws IOException {
        long dtype = 0, shard = 0, offset = 0, size = 0;
        int crc = 0;
        long[] shape = {};
        while (c.more()) {
            int tag = c.tag();
            switch (tag) {
                case 1 << 3 -> dtype = c.varint64();
                case 2 << 3 | 2 -> shape = shape(name, c.message());
                case 3 << 3 -> shard = c.varint64();
                case 4 << 3 -> offset = c.varint64();
                case 5 << 3 -> size = c.varint64();
                case 6 << 3 | 5 -> crc = unmask(c.fixed32());
                case 7 << 3 | 2 -> throw new IOException(name + ": partitioned (sliced) tensors are not supported");
                default -> c.skip(tag);
            }
        }
        DType t = DType.of(name, dtype);
        if (shard < 0 || shard >= shards || offset < 0) {
            throw new IOException(name + ": shard " + shard + " (of " + shards + "), offset " + offset);
        }
        long elements = 1;
        for (long d : shape) {
            elements = d == 0 || elements <= Long.MAX_VALUE / t.bytes / d ? elements * d : -1;
        }
        if (elements < 0 || size != elements * t.bytes) {
            throw new IOException(name + ": " + size + " bytes, but " + t.name() + Arrays.toString(shape) + " needs "
                    + (elements < 0 ? "more than 2^63" : elements * t.bytes));
        }
        return new Entry(name, t.name(), shape, (int) shard, offset, size, crc);
    }

    /** {@code TensorShapeProto}: dim 2 (a message: size 1, name 2), unknown_rank 3. */
    private static long[] shape(String name, Cursor c) throws IOException {
        List<Long> dims = new ArrayList<>();
        while (c.more()) {
            int tag = c.tag();
            if (tag == (2 << 3 | 2)) {
                Cursor dim = c.message();
                long size = 0;
                while (dim.more()) {
                    int t = dim.tag();
                    if (t == 1 << 3) {
                        size = dim.varint64();
                    } else {
                        dim.skip(t);
                    }
                }
                if (size < 0) {
                    throw new IOException(name + ": dimension " + dims.size() + " is unknown (" + size + ")");
                }
                dims.add(size);
            } else if (tag == 3 << 3 && c.varint64() != 0) {
                throw new IOException(name + ": shape of unknown rank");
            } else if (tag != 3 << 3) {
                c.skip(tag);
            }
        }
        return dims.stream().mapToLong(Long::longValue).toArray();
    }

    /** TensorFlow DataType enum values with a safetensors equivalent, and their sizes. */
    private enum DType {
        F32(1, 4),
        F64(2, 8),
        I32(3, 4),
        U8(4, 1),
        I16(5, 2),
        I8(6, 1),
        I64(9, 8),
        BOOL(10, 1),
        BF16(14, 2),
        U16(17, 2),
        F16(19, 2),
        U32(22, 4),
        U64(23, 8);

        final int tf;
        final int bytes;

        DType(int tf, int bytes) {
            this.tf = tf;
            this.bytes = bytes;
        }

        static DType of(String name, long tf) throws IOException {
            for (DType t : values()) {
                if (t.tf == tf) {
                    return t;
                }
            }
            throw new IOException(name + ": TensorFlow dtype " + tf + " has no safetensors equivalent");
        }
    }

    /** The entries of one table block: prefix-compressed keys, then (not read) the restart array. */
    private static final class Block {
        private final Cursor c;
        byte[] key = new byte[0];
        private int valueStart, valueEnd;

        Block(byte[] file, int start, int entriesEnd, String what) {
            c = new Cursor(file, start, entriesEnd, what);
        }

        boolean next() throws IOException {
            if (!c.more()) {
                return false;
            }
            int shared = c.varint32(), nonShared = c.varint32(), valueLength = c.varint32();
            if (shared > key.length) {
                throw new IOException(c.what + ": key shares " + shared + " bytes with a " + key.length + "-byte key");
            }
            byte[] k = Arrays.copyOf(key, shared + nonShared);
            c.bytes(nonShared, k, shared);
            key = k;
            valueStart = c.pos;
            c.bytes(valueLength, null, 0);
            valueEnd = c.pos;
            return true;
        }

        String name() {
            return new String(key, StandardCharsets.UTF_8);
        }

        Cursor value() {
            return new Cursor(c.b, valueStart, valueEnd, c.what + " \"" + name() + "\"");
        }
    }

    /** Reads protobuf and table primitives from {@code b[pos, end)}; running past {@code end} is an IOException. */
    private static final class Cursor {
        final byte[] b;
        final String what;
        int pos;
        private final int end;

        Cursor(byte[] b, int pos, int end, String what) {
            this.b = b;
            this.pos = pos;
            this.end = end;
            this.what = what;
        }

        boolean more() {
            return pos < end;
        }

        private void need(long n) throws IOException {
            if (n < 0 || n > end - pos) {
                throw new IOException(
                        what + ": truncated (" + n + " bytes wanted at " + pos + ", " + (end - pos) + " left)");
            }
        }

        long varint64() throws IOException {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                need(1);
                byte x = b[pos++];
                v |= (long) (x & 0x7f) << shift;
                if (x >= 0) {
                    return v;
                }
            }
            throw new IOException(what + ": varint longer than 10 bytes at " + pos);
        }

        int varint32() throws IOException {
            long v = varint64();
            if (v < 0 || v > Integer.MAX_VALUE) {
                throw new IOException(what + ": " + v + " out of range at " + pos);
            }
            return (int) v;
        }

        /** A protobuf field tag: number << 3 | wire type. */
        int tag() throws IOException {
            return varint32();
        }

        int fixed32() throws IOException {
            need(4);
            int v = (b[pos] & 0xff) | (b[pos + 1] & 0xff) << 8 | (b[pos + 2] & 0xff) << 16 | b[pos + 3] << 24;
            pos += 4;
            return v;
        }

        long fixed64() throws IOException {
            return fixed32() & 0xffffffffL | (long) fixed32() << 32;
        }

        /** Moves past n bytes, copying them to {@code to[at..]} unless {@code to} is null. */
        void bytes(long n, byte[] to, int at) throws IOException {
            need(n);
            if (to != null) {
                System.arraycopy(b, pos, to, at, (int) n);
            }
            pos += (int) n;
        }

        /** A length-delimited field's bytes, as a cursor of their own. */
        Cursor message() throws IOException {
            int n = varint32();
            need(n);
            pos += n;
            return new Cursor(b, pos - n, pos, what);
        }

        /** Skips the value of a field whose tag (number and wire type) was just read. */
        void skip(int tag) throws IOException {
            switch (tag & 7) {
                case 0 -> varint64();
                case 1 -> bytes(8, null, 0);
                case 2 -> message();
                case 5 -> bytes(4, null, 0);
                default -> throw new IOException(what + ": unsupported protobuf wire type " + (tag & 7) + " at " + pos);
            }
        }
    }
}
