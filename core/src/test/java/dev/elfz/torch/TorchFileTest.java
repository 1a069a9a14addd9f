package dev.elfz.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.CodecChoice;
import dev.elfz.Dtype;
import dev.elfz.Elfz;
import dev.elfz.ElfzOptions;
import dev.elfz.ElfzReader;
import dev.elfz.ElfzTensor;
import dev.elfz.FileKind;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PyTorch checkpoints: files torch.save (1.13) made (committed fixtures: a state dict with tied, transposed and sliced
 * views, F16 and I64 tensors; a pickled module; the legacy format), and {@link TorchBytes}' files of the same shape for
 * what torch would not write. Lossless round trips give the same bytes; lossy ones a zip whose CRC-32s hold.
 */
class TorchFileTest {

    @TempDir
    Path dir;

    static byte[] fixture(String name) throws IOException {
        try (InputStream in = TorchFileTest.class.getResourceAsStream(name)) {
            return in.readAllBytes();
        }
    }

    private static List<TensorInfo> parse(byte[] file) throws TorchException {
        return TorchFile.parse(Path.of("t.pt"), MemorySegment.ofArray(file));
    }

    /** small.pt: weight [3,4], bias [3], emb.weight [5,4] with "tied" and "t" (its transpose) viewing it too ... */
    @Test
    void readsWhatTorchWrote() throws IOException {
        byte[] file = fixture("small.pt");
        List<TensorInfo> t = parse(file);
        assertEquals(List.of("weight", "bias", "emb.weight", "half", "ids", "slice"), names(t));
        assertEquals(List.of(Dtype.F32, Dtype.F32, Dtype.F32, Dtype.F16, Dtype.I64, Dtype.F32), dtypes(t));
        assertArrayEquals(new long[] {3, 4}, t.get(0).shape()); // its only, whole view
        assertArrayEquals(new long[] {20}, t.get(2).shape()); // three views (tied, transposed): one flat storage
        assertArrayEquals(new long[] {10}, t.get(5).shape()); // a slice [2:7] of 10 values: the whole storage
        Path p = dir.resolve("small.pt");
        Files.write(p, file);
        try (ZipFile z = new ZipFile(p.toFile())) { // an independent reader: every storage is its entry's bytes
            List<String> keys = List.of("0", "1", "2", "3", "4", "5");
            for (int i = 0; i < t.size(); i++) {
                ZipEntry e = z.getEntry("small/data/" + keys.get(i));
                assertArrayEquals(
                        z.getInputStream(e).readAllBytes(),
                        slice(file, t.get(i)),
                        t.get(i).name());
                assertEquals(0, t.get(i).begin() % 64, "torch aligns storages to 64 bytes");
            }
        }
    }

    /** The test writer makes what torch makes for the same state dict: the same tensors, the same bytes. */
    @Test
    void theWriterWritesWhatTorchWrites() throws IOException {
        byte[] torch = fixture("small.pt");
        List<TensorInfo> t = parse(torch);
        TorchBytes w = new TorchBytes("small");
        String[] types = {"FloatStorage", "FloatStorage", "FloatStorage", "HalfStorage", "LongStorage", "FloatStorage"};
        int[] sizes = {4, 4, 4, 2, 8, 4};
        for (int i = 0; i < t.size(); i++) {
            w.storage(Integer.toString(i), types[i], t.get(i).byteSize() / sizes[i], slice(torch, t.get(i)));
        }
        w.view("weight", "0", 0, new long[] {3, 4}, new long[] {4, 1});
        w.view("bias", "1", 0, new long[] {3}, new long[] {1});
        w.view("emb.weight", "2", 0, new long[] {5, 4}, new long[] {4, 1});
        w.view("tied", "2", 0, new long[] {5, 4}, new long[] {4, 1});
        w.view("t", "2", 0, new long[] {4, 5}, new long[] {1, 4});
        w.view("half", "3", 0, new long[] {6}, new long[] {1});
        w.view("ids", "4", 0, new long[] {5}, new long[] {1});
        w.view("slice", "5", 2, new long[] {5}, new long[] {1});
        byte[] mine = w.bytes();
        List<TensorInfo> m = parse(mine);
        assertEquals(names(t), names(m));
        assertEquals(dtypes(t), dtypes(m));
        for (int i = 0; i < t.size(); i++) {
            assertArrayEquals(t.get(i).shape(), m.get(i).shape());
            assertArrayEquals(slice(torch, t.get(i)), slice(mine, m.get(i)));
        }
    }

    @Test
    void losslessRoundTripsGiveTheSameFile() throws IOException {
        for (byte[] file : List.of(fixture("small.pt"), big(false), big(true))) {
            Path in = dir.resolve("m.pt");
            Files.write(in, file);
            for (ElfzOptions o : List.of(
                    ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS),
                    ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS).withChunkBytes(4096),
                    ElfzOptions.defaults().withCodec(CodecChoice.RAW))) {
                Path z = dir.resolve("m.elfz");
                Path out = dir.resolve("out.pt");
                Elfz.compress(in, z, o.withOverwrite(true));
                Elfz.decompress(z, out, o.withOverwrite(true));
                assertArrayEquals(file, Files.readAllBytes(out));
                try (ElfzReader r = Elfz.open(z)) {
                    assertEquals(FileKind.TORCH, r.archive().files().getFirst().kind());
                    assertEquals(parse(file).size(), r.tensors().size());
                }
            }
        }
    }

    /**
     * Lossy round trips (an error bound; ELF, the default): the same layout, every value within the bound, and CRC-32s
     * a zip reader accepts.
     */
    @Test
    void lossyRoundTripsKeepTheZipValid() throws IOException {
        lossy(ElfzOptions.defaults().withErrorBound(1e-3), 1e-3);
        lossy(ElfzOptions.defaults(), Math.scalb(1.0, -24));
    }

    private void lossy(ElfzOptions o, double bound) throws IOException {
        byte[] file = big(false);
        Path in = dir.resolve("m.pt");
        Files.write(in, file);
        Path z = dir.resolve("m.elfz");
        Path out = dir.resolve("out.pt");
        Elfz.compress(in, z, o.withOverwrite(true));
        Files.deleteIfExists(out);
        Elfz.decompress(z, out, ElfzOptions.defaults());
        byte[] back = Files.readAllBytes(out);
        assertEquals(file.length, back.length);
        assertFalse(Arrays.equals(file, back), "lossy");
        List<TensorInfo> t = parse(file);
        assertEquals(t, parse(back));
        float[] a = floats(slice(file, t.getFirst()));
        float[] b = floats(slice(back, t.getFirst()));
        for (int i = 0; i < a.length; i++) {
            assertTrue(Math.abs(a[i] - b[i]) <= bound, i + ": " + a[i] + " " + b[i]);
        }
        try (ZipFile zip = new ZipFile(out.toFile())) {
            for (ZipEntry e : Collections.list(zip.entries())) {
                CRC32 crc = new CRC32();
                crc.update(zip.getInputStream(e).readAllBytes());
                assertEquals(e.getCrc(), crc.getValue(), e.getName());
            }
        }
        // and the data descriptors, which follow each entry's data
        for (TensorInfo s : t) {
            CRC32 crc = new CRC32();
            crc.update(back, (int) s.begin(), (int) s.byteSize());
            ByteBuffer d = ByteBuffer.wrap(back, (int) s.end(), 8).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(0x08074b50, d.getInt());
            assertEquals((int) crc.getValue(), d.getInt(), s.name());
        }
    }

    @Test
    void readsTheTensorsThroughTheReader() throws IOException {
        Path in = dir.resolve("m.pt");
        byte[] file = big(false);
        Files.write(in, file);
        Path z = dir.resolve("m.elfz");
        Elfz.compress(in, z, ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS));
        try (ElfzReader r = Elfz.open(z);
                Arena arena = Arena.ofConfined()) {
            ElfzTensor w = r.tensor("encoder.weight");
            assertArrayEquals(new long[] {300, 256}, w.shape()); // tied: two whole views of one shape
            TensorInfo t = parse(file).getFirst();
            assertArrayEquals(slice(file, t), r.read(w, arena).toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void refusesPickledModulesAndTheLegacyFormat() {
        TorchException m = assertThrows(TorchException.class, () -> parse(fixture("module.pt")));
        assertTrue(
                m.getMessage()
                        .endsWith(
                                "refusing to load torch.nn.modules.container.Sequential: elfz reads state dicts only"),
                m.getMessage());
        TorchException l = assertThrows(TorchException.class, () -> parse(fixture("legacy.pt")));
        assertTrue(l.getMessage().contains("legacy format (torch < 1.6)"), l.getMessage());
    }

    /** Every prefix of a torch-made file, and every byte of it changed, parses or is one TorchException line. */
    @Test
    void everyTruncationAndByteFlipIsOneLine() throws IOException {
        byte[] file = fixture("small.pt");
        int refused = 0;
        for (int n = 0; n < file.length; n++) {
            refused += parsesOrOneLine(Arrays.copyOf(file, n));
        }
        assertEquals(file.length, refused, "every truncation is refused");
        for (int i = 0; i < file.length; i++) {
            byte[] f = file.clone();
            f[i] ^= (byte) 0xFF;
            parsesOrOneLine(f);
        }
    }

    private static int parsesOrOneLine(byte[] f) {
        try {
            parse(f);
            return 0;
        } catch (TorchException e) {
            assertTrue(e.getMessage().startsWith("t.pt: ") && !e.getMessage().contains("\n"), e.getMessage());
            return 1;
        }
    }

    @Test
    void refusesViewsPastTheirStorage() {
        byte[] f = new TorchBytes("m")
                .floats("w", "0", new long[] {4}, 1, 2, 3, 4)
                .view("past", "0", 2, new long[] {3}, new long[] {1})
                .bytes();
        assertRefused(f, "tensor w reads element 4 of storage 0, which holds 4 (a storage shorter than its views)");
        byte[] strided = new TorchBytes("m")
                .floats("w", "0", new long[] {4}, 1, 2, 3, 4)
                .view("s", "0", 0, new long[] {2, 2}, new long[] {3, 1})
                .bytes();
        assertRefused(strided, "a storage shorter than its views");
    }

    @Test
    void refusesStoragesThatAreNotTheirEntries() {
        byte[] shortEntry = new TorchBytes("m")
                .storage("0", "FloatStorage", 4, new byte[12])
                .view("w", "0", 0, new long[] {4}, new long[] {1})
                .bytes();
        assertRefused(
                shortEntry, "storage entry m/data/0 holds 12 bytes, not the 16 of 4 elements of torch.FloatStorage");
        byte[] noEntry = new TorchBytes("m")
                .floats("w", "0", new long[] {1}, 1)
                .pickle(new TorchBytes("m").floats("w", "7", new long[] {1}, 1).statePickle())
                .bytes();
        assertRefused(noEntry, "storage 7 has no entry m/data/7");
    }

    @Test
    void refusesPicklesOutsideTheSubset() {
        assertRefused(
                pickle(p -> p.global("os", "system")
                        .unicode("true")
                        .op(0x85)
                        .op('R')
                        .op('.')),
                "refusing to load os.system: elfz reads state dicts only");
        assertRefused(
                pickle(p -> p.unicode("builtins").unicode("eval").op(0x93).op('.')),
                "refusing to load builtins.eval: elfz reads state dicts only");
        assertRefused(pickle(p -> p.op('}').op('I').op('.')), "pickle opcode 0x49 at byte 3 is outside");
        assertRefused(
                pickle(p -> p.global("torch", "FloatStorage").op(')').op('R').op('.')),
                "refusing to call torch.FloatStorage: elfz reads state dicts only");
        assertRefused(pickle(p -> p.op('h').op(5).op('.')), "memo 5 read before it is written");
        assertRefused(pickle(p -> p.op('}').op('}').op('.')), "it stops with 2 values on its stack");
        assertRefused(pickle(p -> p.op('}')), "no STOP opcode");
        assertRefused(pickle(p -> p.op('X').le(1 << 30, 4)), "past its end");
        assertRefused(pickle(p -> p.op(0x80).op(9)), "pickle protocol 9, not 2 to 5");
        assertRefused(pickle(p -> p.op('}').op('(').op(']').op('u').op('.')), "SETITEMS of an odd number");
        assertRefused(pickle(p -> p.op('}').op(']').op('K').op(1).op('s').op('.')), "a dict key that is not");
    }

    /** Nested containers past the depth limit (a recursion bomb), and a list that holds itself. */
    @Test
    void recursionBombsAreRefusedAndCyclesEnd() throws TorchException {
        int depth = 100_000;
        assertRefused(
                pickle(p -> {
                    for (int i = 0; i < depth; i++) {
                        p.op(']');
                    }
                    for (int i = 1; i < depth; i++) {
                        p.op('a');
                    }
                    p.op('.');
                }),
                "nested deeper than 100 levels");
        byte[] cycle = new TorchBytes("m")
                .pickle(pickle(
                        p -> p.op(']').op('q').op(0).op('h').op(0).op('a').op('.')))
                .bytes();
        assertEquals(List.of(), parse(cycle));
    }

    @Test
    void refusesZipsThatLie() {
        byte[] good = new TorchBytes("m")
                .floats("w", "0", new long[] {2}, 1, 2)
                .zip64()
                .bytes();
        byte[] f = good.clone();
        // the zip64 locator's offset of the zip64 end record, past the end
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong(f.length - 22 - 20 + 8, f.length + 100L);
        assertRefused(f, "zip64 end record at");
        f = good.clone(); // the zip64 record's directory offset, past the end
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong(f.length - 22 - 20 - 56 + 48, 1L << 40);
        assertRefused(f, "runs past the end of the file");
        f = good.clone(); // its entry count, more than the directory holds
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong(f.length - 22 - 20 - 56 + 32, 1L << 40);
        assertRefused(f, "entries, which its");
        byte[] plain =
                new TorchBytes("m").floats("w", "0", new long[] {2}, 1, 2).bytes();
        f = plain.clone(); // the first central entry's local header offset, past the end
        int central = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).getInt(f.length - 22 + 16);
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putInt(central + 42, f.length + 5);
        assertRefused(f, "runs past byte");
    }

    /** A directory of shards and their index JSON: each shard a torch file, the JSON a blob; the same bytes back. */
    @Test
    void aDirectoryOfShards() throws IOException {
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.write(model.resolve("pytorch_model-00001-of-00002.bin"), big(false));
        Files.write(model.resolve("pytorch_model-00002-of-00002.bin"), fixture("small.pt"));
        Files.writeString(model.resolve("pytorch_model.bin.index.json"), "{\"weight_map\": {}}");
        Files.write(model.resolve("notes.bin"), new byte[] {1, 2, 3}); // not a checkpoint: a blob
        Path z = dir.resolve("model.elfz");
        Elfz.compress(model, z, ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS));
        try (ElfzReader r = Elfz.open(z)) {
            List<FileKind> kinds = new ArrayList<>();
            r.archive().files().forEach(f -> kinds.add(f.kind()));
            assertEquals(List.of(FileKind.BLOB, FileKind.TORCH, FileKind.TORCH, FileKind.BLOB), kinds);
        }
        Path out = dir.resolve("out");
        Elfz.decompress(z, out, ElfzOptions.defaults());
        for (String f : List.of(
                "pytorch_model-00001-of-00002.bin",
                "pytorch_model-00002-of-00002.bin",
                "pytorch_model.bin.index.json",
                "notes.bin")) {
            assertArrayEquals(Files.readAllBytes(model.resolve(f)), Files.readAllBytes(out.resolve(f)), f);
        }
    }

    interface Ops {
        void write(TorchBytes.Pickler p);
    }

    static byte[] pickle(Ops ops) {
        TorchBytes.Pickler p = new TorchBytes.Pickler();
        p.op(0x80).op(2);
        ops.write(p);
        return p.bytes();
    }

    private static void assertRefused(byte[] fileOrPickle, String what) {
        byte[] file = Zip.isZip(MemorySegment.ofArray(fileOrPickle))
                ? fileOrPickle
                : new TorchBytes("m").pickle(fileOrPickle).bytes();
        TorchException e = assertThrows(TorchException.class, () -> parse(file));
        assertTrue(e.getMessage().contains(what), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    /** A state dict of 300x256 random weights, a tied copy, a bias, an int64 buffer; in zip64 form if asked. */
    static byte[] big(boolean zip64) {
        Random r = new Random(1);
        float[] w = new float[300 * 256];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * 0.05);
        }
        float[] b = new float[256];
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) r.nextGaussian();
        }
        ByteBuffer ids = ByteBuffer.allocate(8 * 512).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 512; i++) {
            ids.putLong(i);
        }
        TorchBytes t = new TorchBytes("archive")
                .floats("encoder.weight", "0", new long[] {300, 256}, w)
                .view("decoder.weight", "0", 0, new long[] {300, 256}, new long[] {256, 1})
                .floats("encoder.bias", "1", new long[] {256}, b)
                .storage("2", "LongStorage", 512, ids.array())
                .view("position_ids", "2", 0, new long[] {1, 512}, new long[] {512, 1});
        return zip64 ? t.zip64().bytes() : t.bytes();
    }

    private static byte[] slice(byte[] file, TensorInfo t) {
        return Arrays.copyOfRange(file, (int) t.begin(), (int) t.end());
    }

    private static float[] floats(byte[] b) {
        float[] f = new float[b.length / 4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

    private static List<String> names(List<TensorInfo> t) {
        return t.stream().map(TensorInfo::name).toList();
    }

    private static List<Dtype> dtypes(List<TensorInfo> t) {
        return t.stream().map(TensorInfo::dtype).toList();
    }
}
