package dev.elfz.torch;

import dev.elfz.Dtype;
import dev.elfz.onnx.Payloads;
import dev.elfz.safetensors.TensorInfo;
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
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A PyTorch checkpoint as torch.save writes it since 1.6: a zip of {@code ARCHIVE/data.pkl} (the pickled state dict)
 * and one stored entry {@code ARCHIVE/data/KEY} per storage. Each storage is one tensor (a slice of the mapping),
 * named after the first state-dict entry that views it, so that tied weights stay one storage; it takes that entry's
 * shape when every view of it is the whole storage, contiguous, in that shape (tied weights), else it is flat. Every other byte (the pickle, the
 * other entries, the zip's headers and central directory) is the skeleton.
 */
public final class TorchFile {

    /** The names a checkpoint goes by. */
    public static final List<String> SUFFIXES = List.of(".bin", ".pt", ".pth");

    /** The most a data.pkl may take on the heap. */
    static final int MAX_PICKLE = 256 << 20;

    /** Views nested deeper than this in the pickled object are refused. */
    static final int MAX_DEPTH = 100;

    // torch.save's magic number, which the legacy format (torch < 1.6) pickles first: 0x1950a86a20f9469cfc6c
    private static final byte[] LEGACY = {
        (byte) 0x80,
        0x02,
        (byte) 0x8a,
        0x0a,
        0x6c,
        (byte) 0xfc,
        (byte) 0x9c,
        0x46,
        (byte) 0xf9,
        0x20,
        0x6a,
        (byte) 0xa8,
        0x50,
        0x19
    };

    /** A storage class: the dtype its bytes are read as, and its element size. */
    private record StorageType(Dtype dtype, int bytes) {}

    private static final Map<String, StorageType> STORAGES = Map.ofEntries(
            Map.entry("torch.FloatStorage", new StorageType(Dtype.F32, 4)),
            Map.entry("torch.DoubleStorage", new StorageType(Dtype.F64, 8)),
            Map.entry("torch.HalfStorage", new StorageType(Dtype.F16, 2)),
            Map.entry("torch.BFloat16Storage", new StorageType(Dtype.BF16, 2)),
            Map.entry("torch.LongStorage", new StorageType(Dtype.I64, 8)),
            Map.entry("torch.IntStorage", new StorageType(Dtype.I32, 4)),
            Map.entry("torch.ShortStorage", new StorageType(Dtype.I16, 2)),
            Map.entry("torch.CharStorage", new StorageType(Dtype.I8, 1)),
            Map.entry("torch.ByteStorage", new StorageType(Dtype.U8, 1)),
            Map.entry("torch.BoolStorage", new StorageType(Dtype.BOOL, 1)),
            Map.entry("torch.ComplexFloatStorage", new StorageType(Dtype.C64, 8)),
            Map.entry("torch.ComplexDoubleStorage", new StorageType(Dtype.U8, 16)),
            Map.entry("torch.UntypedStorage", new StorageType(Dtype.U8, 1)));

    /** A storage as the pickle names it. */
    private record Storage(String key, String type, long numel) {
        long bytes() {
            return numel * STORAGES.get(type).bytes();
        }
    }

    /** A tensor of the state dict: a view of a storage. */
    private record View(Storage storage, long offset, long[] shape, long[] stride) {
        /** One past the last element it reads (0 when it has none). */
        long extent() {
            long last = offset;
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] == 0) {
                    return 0;
                }
                last = Math.addExact(last, Math.multiplyExact(shape[i] - 1, stride[i]));
            }
            return last + 1;
        }

        boolean wholeAndContiguous() {
            long expected = 1;
            for (int i = shape.length - 1; i >= 0; i--) {
                if (shape[i] != 1 && stride[i] != expected) {
                    return false;
                }
                expected *= shape[i];
            }
            return offset == 0 && expected == storage.numel();
        }
    }

    private TorchFile() {}

    /** Whether a file of this name may be a checkpoint ({@link #SUFFIXES}). */
    public static boolean named(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return SUFFIXES.stream().anyMatch(n::endsWith);
    }

    /** Whether the file's first bytes are a zip's or torch.save's legacy format's (else it is no checkpoint). */
    public static boolean looksLike(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(LEGACY.length);
            while (b.hasRemaining() && ch.read(b) > 0) {}
            MemorySegment head = MemorySegment.ofArray(Arrays.copyOf(b.array(), b.position()));
            return Zip.isZip(head) || legacy(head);
        }
    }

    /**
     * Maps and parses a checkpoint.
     *
     * @param name the name the container gives it
     * @throws TorchException when it is not a zip checkpoint elfz reads, in one line
     */
    public static Payloads open(String name, Path path) throws IOException {
        return Payloads.map(name, path, TorchFile::parse, e -> new TorchException(path, "no such file", e));
    }

    /** The checkpoint's storages as tensors in file order (offsets in the file). */
    public static List<TensorInfo> parse(Path path, MemorySegment file) throws TorchException {
        if (file.byteSize() == 0) {
            throw new TorchException(path, "empty file, not a PyTorch checkpoint");
        }
        List<TensorInfo> tensors = new ArrayList<>();
        for (Located l : storages(path, file)) {
            tensors.add(l.tensor());
        }
        return tensors;
    }

    /**
     * Writes each storage entry's CRC-32 into its local header, central directory entry and data descriptor, from the
     * bytes it holds now: after a lossy decode, so that the zip stays valid for torch.load (a lossless one writes the
     * values that are there).
     */
    public static void updateCrcs(Path path, MemorySegment file) throws TorchException {
        ValueLayout.OfInt u32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (Located l : storages(path, file)) {
            CRC32 crc = new CRC32();
            long step = 1 << 30;
            for (long at = 0; at < l.entry().size(); at += step) {
                crc.update(file.asSlice(
                                l.entry().data() + at, Math.min(step, l.entry().size() - at))
                        .asByteBuffer());
            }
            for (long at : l.entry().crcAt()) {
                file.set(u32, at, (int) crc.getValue());
            }
        }
    }

    private record Located(TensorInfo tensor, Zip.Entry entry) {}

    private static List<Located> storages(Path path, MemorySegment file) throws TorchException {
        if (legacy(file)) {
            throw new TorchException(
                    path,
                    "a checkpoint in PyTorch's legacy format (torch < 1.6), which elfz does not read: "
                            + "torch.save it again with a newer torch");
        }
        if (!Zip.isZip(file)) {
            throw new TorchException(path, "not a PyTorch zip checkpoint (no zip signature)");
        }
        List<Zip.Entry> entries = Zip.entries(path, file);
        Map<String, Zip.Entry> byName = new HashMap<>();
        entries.forEach(e -> byName.put(e.name(), e));
        Zip.Entry pkl = null;
        for (Zip.Entry e : entries) {
            if (e.name().endsWith("/data.pkl")
                    && e.name().indexOf('/') == e.name().length() - 9) {
                if (pkl != null) {
                    throw new TorchException(path, "a zip with two data.pkl entries: " + pkl.name() + ", " + e.name());
                }
                pkl = e;
            }
        }
        if (pkl == null) {
            boolean script = entries.stream().anyMatch(e -> e.name().endsWith("/constants.pkl"));
            throw new TorchException(
                    path,
                    script
                            ? "a TorchScript archive, not a state dict: elfz reads state dicts only"
                            : "a zip without ARCHIVE/data.pkl: not a torch.save checkpoint");
        }
        String prefix = pkl.name().substring(0, pkl.name().length() - "data.pkl".length());
        Zip.Entry order = byName.get(prefix + "byteorder");
        if (order != null && !"little".equals(new String(bytes(path, file, order), StandardCharsets.US_ASCII))) {
            throw new TorchException(path, "a big-endian checkpoint (" + order.name() + "): elfz reads little-endian");
        }
        Map<String, Storage> storages = new LinkedHashMap<>();
        Object root = Pickle.load(path, bytes(path, file, pkl), globals(path), id -> storage(path, id, storages));
        Map<Storage, String> names = new LinkedHashMap<>();
        Map<Storage, List<View>> views = new HashMap<>();
        walk(path, root, "", 0, Collections.newSetFromMap(new IdentityHashMap<>()), names, views);
        List<Located> out = new ArrayList<>();
        Set<String> taken = new HashSet<>();
        for (Storage s : storages.values()) {
            Zip.Entry e = byName.get(prefix + "data/" + s.key());
            if (e == null) {
                throw new TorchException(path, "storage " + s.key() + " has no entry " + prefix + "data/" + s.key());
            }
            if (e.method() != Zip.STORED) {
                throw new TorchException(
                        path,
                        "storage entry " + e.name() + " is compressed in the zip; elfz reads "
                                + "the stored entries torch.save writes");
            }
            if (e.size() != s.bytes()) {
                throw new TorchException(
                        path,
                        "storage entry " + e.name() + " holds " + e.size() + " bytes, not the " + s.bytes() + " of "
                                + s.numel() + " elements of " + s.type());
            }
            List<View> vs = views.getOrDefault(s, List.of());
            for (View v : vs) {
                long extent;
                try {
                    extent = v.extent();
                } catch (ArithmeticException x) {
                    extent = Long.MAX_VALUE;
                }
                if (extent > s.numel()) {
                    throw new TorchException(
                            path,
                            "tensor " + names.get(s) + " reads element " + (extent - 1)
                                    + " of storage " + s.key() + ", which holds " + s.numel()
                                    + " (a storage shorter than its "
                                    + "views)");
                }
            }
            String name = names.getOrDefault(s, prefix + "data/" + s.key());
            for (int i = 2; !taken.add(name); i++) {
                name = names.getOrDefault(s, prefix + "data/" + s.key()) + "#" + i;
            }
            StorageType t = STORAGES.get(s.type());
            long[] shape = !vs.isEmpty()
                            && t.dtype() != Dtype.U8
                            && vs.stream()
                                    .allMatch(v -> v.wholeAndContiguous()
                                            && Arrays.equals(
                                                    v.shape(), vs.getFirst().shape()))
                    ? vs.getFirst().shape()
                    : new long[] {t.dtype() == Dtype.U8 ? s.bytes() : s.numel()};
            out.add(new Located(new TensorInfo(name, t.dtype(), shape, e.data(), e.data() + e.size()), e));
        }
        out.sort(Comparator.comparingLong(l -> l.tensor().begin()));
        return out;
    }

    /** The storage a persistent id ('storage', class, key, location, numel) names, one per key. */
    private static Storage storage(Path path, Pickle.Tuple id, Map<String, Storage> storages) throws TorchException {
        List<Object> f = id.items();
        if (f.size() != 5
                || !"storage".equals(f.get(0))
                || !(f.get(1) instanceof Pickle.Global g && g.value() instanceof StorageType)
                || !(f.get(2) instanceof String key)
                || !(f.get(4) instanceof Long numel)
                || numel < 0) {
            throw new TorchException(path, "a persistent id that is not a storage of a state dict");
        }
        Storage s = new Storage(key, g.name(), numel);
        try {
            s.bytes();
            Math.multiplyExact(numel, STORAGES.get(g.name()).bytes());
        } catch (ArithmeticException e) {
            throw new TorchException(path, "storage " + key + " of " + numel + " elements");
        }
        Storage before = storages.putIfAbsent(key, s);
        if (before != null && !before.equals(s)) {
            throw new TorchException(path, "storage " + key + " named twice with another type or size");
        }
        return before != null ? before : s;
    }

    /** The globals a state dict needs, as values: storage classes, and what the accepted functions return. */
    private static Map<String, Object> globals(Path path) {
        Map<String, Object> g = new HashMap<>(STORAGES);
        g.put("collections.OrderedDict", (Pickle.Callable) args -> {
            if (!args.isEmpty()) {
                throw new TorchException(path, "an OrderedDict built from arguments");
            }
            return new Pickle.Dict();
        });
        g.put("torch.Size", (Pickle.Callable) args -> args.size() == 1 ? args.getFirst() : new Pickle.Tuple(args));
        g.put("torch._utils._rebuild_tensor_v2", (Pickle.Callable) args -> view(path, args));
        Pickle.Callable parameter = args -> {
            if (args.size() < 3 || !(args.getFirst() instanceof View v)) {
                throw new TorchException(path, "a parameter that is not a tensor");
            }
            return v;
        };
        g.put("torch._utils._rebuild_parameter", parameter);
        g.put("torch._utils._rebuild_parameter_with_state", parameter);
        return g;
    }

    /** _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]). */
    private static View view(Path path, List<Object> a) throws TorchException {
        if (a.size() < 6
                || a.size() > 7
                || !(a.get(0) instanceof Storage s)
                || !(a.get(1) instanceof Long offset)
                || !(a.get(2) instanceof Pickle.Tuple size)
                || !(a.get(3) instanceof Pickle.Tuple stride)
                || size.items().size() != stride.items().size()
                || offset < 0) {
            throw new TorchException(path, "a tensor whose storage, offset, size or stride is not as torch writes it");
        }
        return new View(s, offset, dims(path, size), dims(path, stride));
    }

    private static long[] dims(Path path, Pickle.Tuple t) throws TorchException {
        long[] d = new long[t.items().size()];
        for (int i = 0; i < d.length; i++) {
            if (!(t.items().get(i) instanceof Long v) || v < 0) {
                throw new TorchException(
                        path,
                        "a tensor size or stride that is not a count: "
                                + t.items().get(i));
            }
            d[i] = v;
        }
        return d;
    }

    /** Names each storage after the first state-dict entry viewing it (keys joined by "."); shared values once. */
    private static void walk(
            Path path,
            Object o,
            String name,
            int depth,
            Set<Object> seen,
            Map<Storage, String> names,
            Map<Storage, List<View>> views)
            throws TorchException {
        if (depth > MAX_DEPTH) {
            throw new TorchException(path, "a pickled object nested deeper than " + MAX_DEPTH + " levels");
        }
        if (o instanceof View v) {
            names.putIfAbsent(v.storage(), name.isEmpty() ? "tensor" : name);
            views.computeIfAbsent(v.storage(), k -> new ArrayList<>()).add(v);
            return;
        }
        if (!(o instanceof Pickle.Dict || o instanceof List<?> || o instanceof Pickle.Tuple) || !seen.add(o)) {
            return;
        }
        if (o instanceof Pickle.Dict d) {
            for (Map.Entry<Object, Object> e : d.entrySet()) {
                walk(path, e.getValue(), join(name, String.valueOf(e.getKey())), depth + 1, seen, names, views);
            }
            return;
        }
        List<?> items = o instanceof Pickle.Tuple t ? t.items() : (List<?>) o;
        for (int i = 0; i < items.size(); i++) {
            walk(path, items.get(i), join(name, Integer.toString(i)), depth + 1, seen, names, views);
        }
    }

    private static String join(String a, String b) {
        return a.isEmpty() ? b : a + "." + b;
    }

    /** An entry's bytes on the heap (data.pkl, byteorder), inflated if need be. */
    private static byte[] bytes(Path path, MemorySegment file, Zip.Entry e) throws TorchException {
        if (e.size() > MAX_PICKLE) {
            throw new TorchException(path, e.name() + " of " + e.size() + " bytes, over elfz's " + MAX_PICKLE);
        }
        byte[] stored = file.asSlice(e.data(), e.compressedSize()).toArray(ValueLayout.JAVA_BYTE);
        if (e.method() == Zip.STORED) {
            return stored;
        }
        if (e.method() != Zip.DEFLATED) {
            throw new TorchException(path, e.name() + " uses zip method " + e.method() + ", not stored or deflated");
        }
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(stored);
            byte[] out = new byte[(int) e.size()];
            int n = 0;
            while (n < out.length && !inflater.finished()) {
                int got = inflater.inflate(out, n, out.length - n);
                if (got == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                n += got;
            }
            if (n != out.length) {
                throw new TorchException(path, e.name() + " inflates to " + n + " bytes, not " + out.length);
            }
            return out;
        } catch (DataFormatException x) {
            throw new TorchException(path, e.name() + ": damaged deflate data", x);
        } finally {
            inflater.end();
        }
    }

    private static boolean legacy(MemorySegment file) {
        return file.byteSize() >= LEGACY.length
                && file.asSlice(0, LEGACY.length).mismatch(MemorySegment.ofArray(LEGACY)) == -1;
    }
}
