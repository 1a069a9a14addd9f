package dev.elfz.torch;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Writes checkpoints as torch.save (1.13, protocol 2) writes a state dict: a zip whose entries are {@code
 * ARCHIVE/data.pkl}, {@code ARCHIVE/data/KEY} per storage and {@code ARCHIVE/version}, each stored, its data aligned to
 * 64 bytes by an "FB" extra field, flags 0x0808 with the CRC and sizes in a data descriptor; the pickle an
 * OrderedDict of {@code _rebuild_tensor_v2} calls on persistent ids. The committed torch-made fixtures are the same
 * shape (TorchFileTest compares them); tests use this to make what torch would not (bad views, lying zips, big
 * files).
 */
public final class TorchBytes {

    /** A tensor: a view of a storage. */
    public record View(String name, String storage, long offset, long[] shape, long[] stride) {}

    private record Storage(String type, long numel, byte[] data) {}

    private final String archive;
    private final Map<String, Storage> storages = new LinkedHashMap<>();
    private final List<View> views = new ArrayList<>();
    private byte[] pickle;
    private boolean zip64;

    public TorchBytes(String archive) {
        this.archive = archive;
    }

    /** A storage of class {@code torch.TYPE} holding {@code numel} elements (as the pickle says) and these bytes. */
    public TorchBytes storage(String key, String type, long numel, byte[] data) {
        storages.put(key, new Storage(type, numel, data));
        return this;
    }

    /** A float32 storage of these values, and a contiguous tensor of it named {@code name} with this shape. */
    public TorchBytes floats(String name, String key, long[] shape, float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        storage(key, "FloatStorage", values.length, b.array());
        return view(name, key, 0, shape, contiguous(shape));
    }

    public TorchBytes view(String name, String storage, long offset, long[] shape, long[] stride) {
        views.add(new View(name, storage, offset, shape, stride));
        return this;
    }

    /** Writes this pickle as data.pkl instead of the state dict's. */
    public TorchBytes pickle(byte[] p) {
        this.pickle = p;
        return this;
    }

    /** Ends the zip with zip64 records (as zips of over 4 GiB or 65535 entries do). */
    public TorchBytes zip64() {
        this.zip64 = true;
        return this;
    }

    public static long[] contiguous(long[] shape) {
        long[] s = new long[shape.length];
        long n = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = n;
            n *= shape[i];
        }
        return s;
    }

    /** The state dict's pickle, as torch.save writes it (without the memo, which readers need not use). */
    public byte[] statePickle() {
        Pickler p = new Pickler();
        p.op(0x80).op(2);
        p.global("collections", "OrderedDict").op(')').op('R');
        p.op('(');
        for (View v : views) {
            Storage s = storages.get(v.storage());
            p.unicode(v.name());
            p.global("torch._utils", "_rebuild_tensor_v2");
            p.op('(');
            p.op('(')
                    .unicode("storage")
                    .global("torch", s.type())
                    .unicode(v.storage())
                    .unicode("cpu");
            p.integer(s.numel()).op('t').op('Q');
            p.integer(v.offset()).tuple(v.shape()).tuple(v.stride()).op(0x89);
            p.global("collections", "OrderedDict").op(')').op('R');
            p.op('t').op('R');
        }
        p.op('u').op('.');
        return p.out.toByteArray();
    }

    /** The checkpoint's bytes. */
    public byte[] bytes() {
        Zip z = new Zip();
        z.add(archive + "/data.pkl", pickle != null ? pickle : statePickle());
        for (Map.Entry<String, Storage> e : storages.entrySet()) {
            z.add(archive + "/data/" + e.getKey(), e.getValue().data());
        }
        z.add(archive + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        return z.finish(zip64);
    }

    /** Protocol-2 opcodes, for the state dict and for tests that craft pickles. */
    public static final class Pickler {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        public Pickler op(int b) {
            out.write(b);
            return this;
        }

        public Pickler global(String module, String name) {
            op('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
            return this;
        }

        public Pickler unicode(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X');
            le(b.length, 4);
            out.writeBytes(b);
            return this;
        }

        public Pickler integer(long v) {
            if (v >= 0 && v < 256) {
                return op('K').op((int) v);
            }
            if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                op('J');
                le(v, 4);
                return this;
            }
            op(0x8a).op(8);
            le(v, 8);
            return this;
        }

        public Pickler tuple(long[] items) {
            op('(');
            for (long i : items) {
                integer(i);
            }
            return op('t');
        }

        public Pickler le(long v, int width) {
            for (int i = 0; i < width; i++) {
                out.write((int) (v >>> (8 * i)));
            }
            return this;
        }

        public byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** A zip as torch's writer makes it. */
    private static final class Zip {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteArrayOutputStream central = new ByteArrayOutputStream();
        private int count;

        void add(String name, byte[] data) {
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            long local = out.size();
            int pad = (int) ((64 - (local + 30 + n.length + 4) % 64) % 64);
            CRC32 crc = new CRC32();
            crc.update(data);
            put(out, 0x04034b50, 4);
            put(out, 0, 2);
            put(out, 0x0808, 2);
            put(out, 0, 2); // stored
            put(out, 0, 4); // time, date
            put(out, 0, 12); // CRC and sizes: in the data descriptor
            put(out, n.length, 2);
            put(out, 4 + pad, 2);
            out.writeBytes(n);
            put(out, 0x4246, 2); // "FB"
            put(out, pad, 2);
            out.writeBytes("Z".repeat(pad).getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(data);
            put(out, 0x08074b50, 4);
            put(out, crc.getValue(), 4);
            put(out, data.length, 4);
            put(out, data.length, 4);
            put(central, 0x02014b50, 4);
            put(central, 0, 4); // versions
            put(central, 0x0808, 2);
            put(central, 0, 2);
            put(central, 0, 4);
            put(central, crc.getValue(), 4);
            put(central, data.length, 4);
            put(central, data.length, 4);
            put(central, n.length, 2);
            put(central, 0, 6); // extra, comment, disk
            put(central, 0, 6); // attributes
            put(central, local, 4);
            central.writeBytes(n);
            count++;
        }

        byte[] finish(boolean zip64) {
            long at = out.size();
            out.writeBytes(central.toByteArray());
            long end = out.size();
            if (zip64) {
                put(out, 0x06064b50, 4);
                put(out, 44, 8);
                put(out, 0, 4);
                put(out, 0, 8);
                put(out, count, 8);
                put(out, count, 8);
                put(out, central.size(), 8);
                put(out, at, 8);
                put(out, 0x07064b50, 4);
                put(out, 0, 4);
                put(out, end, 8);
                put(out, 1, 4);
            }
            put(out, 0x06054b50, 4);
            put(out, 0, 4);
            put(out, zip64 ? 0xFFFF : count, 2);
            put(out, zip64 ? 0xFFFF : count, 2);
            put(out, zip64 ? 0xFFFFFFFFL : central.size(), 4);
            put(out, zip64 ? 0xFFFFFFFFL : at, 4);
            put(out, 0, 2);
            return out.toByteArray();
        }

        private static void put(ByteArrayOutputStream o, long v, int width) {
            for (int i = 0; i < width; i++) {
                o.write((int) (v >>> (8 * i)));
            }
        }
    }
}
