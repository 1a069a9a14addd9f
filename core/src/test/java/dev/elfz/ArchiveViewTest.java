package dev.elfz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.container.ElfzFormat;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The typed view of the index ({@link ElfzArchive}) of a model directory, against the bytes of the .elfz file and
 * the safetensors headers of the originals.
 */
class ArchiveViewTest {

    @TempDir
    static Path dir;

    static Path model;
    static Path z;
    static ElfzArchive written;
    static byte[] file;

    @BeforeAll
    static void compress() throws IOException {
        model = Files.createDirectories(dir.resolve("model"));
        TestModels.everyDtype(model.resolve("a.safetensors"), 1);
        TestModels.everyDtype(Files.createDirectories(model.resolve("sub")).resolve("b.safetensors"), 2);
        Files.writeString(model.resolve("config.json"), "{\"hidden_size\": 48}");
        z = dir.resolve("model.elfz");
        written = Elfz.compress(
                model, z, ElfzOptions.defaults().withChunkBytes(512).withThreads(2));
        file = Files.readAllBytes(z);
    }

    @Test
    void theReaderSeesWhatCompressWrote() throws IOException {
        try (ElfzReader r = ElfzReader.open(z)) {
            assertEquals(written, r.archive());
            assertEquals(written.tensors(), r.tensors());
            assertEquals(
                    r.tensor("sub/b.safetensors", "big-f32"),
                    written.files().get(2).tensors().stream()
                            .filter(t -> t.name().equals("big-f32"))
                            .findFirst()
                            .orElseThrow());
        }
        assertEquals("elfz " + Elfz.VERSION, written.createdBy());
        assertEquals(InputKind.DIRECTORY, written.input());
    }

    @Test
    void filesHaveTheirKindsAndSizes() throws IOException {
        assertEquals(
                List.of("a.safetensors", "config.json", "sub/b.safetensors"),
                written.files().stream().map(ElfzFile::name).toList());
        assertEquals(
                List.of(FileKind.SAFETENSORS, FileKind.BLOB, FileKind.SAFETENSORS),
                written.files().stream().map(ElfzFile::kind).toList());
        long total = 0;
        for (ElfzFile f : written.files()) {
            assertEquals(Files.size(model.resolve(f.name())), f.size(), f.name());
            total += f.size();
        }
        assertEquals(total, written.originalBytes());
        ElfzFile blob = written.files().get(1);
        assertEquals(List.of(), blob.tensors());
        assertEquals(Codec.RAW, blob.data().codec());
        assertEquals(blob.size(), blob.data().size());
        assertEquals(blob.data().storedBytes(), blob.storedBytes());
    }

    @Test
    void tensorsAreTheSafetensorsHeaders() throws IOException {
        for (ElfzFile f : written.files()) {
            if (f.kind() != FileKind.SAFETENSORS) {
                continue;
            }
            try (SafetensorsFile s = SafetensorsFile.open(model.resolve(f.name()))) {
                assertEquals(s.metadata(), f.metadata(), f.name());
                assertEquals(8 + s.headerLength(), f.header().size(), f.name() + ": length field and header");
                List<TensorInfo> byOffset = s.tensors().stream()
                        .sorted(Comparator.comparingLong(TensorInfo::begin))
                        .toList();
                assertEquals(
                        byOffset.stream().map(TensorInfo::name).toList(),
                        f.tensors().stream().map(ElfzTensor::name).toList(),
                        "data-offset order");
                for (int i = 0; i < byOffset.size(); i++) {
                    TensorInfo t = byOffset.get(i);
                    ElfzTensor v = f.tensors().get(i);
                    assertEquals(f.name(), v.file());
                    assertEquals(t.dtype(), v.dtype(), t.name());
                    assertArrayEquals(t.shape(), v.shape(), t.name());
                    assertEquals(t.begin(), v.offset(), t.name());
                    assertEquals(t.byteSize(), v.byteSize(), t.name());
                }
            }
        }
    }

    /** A tensor record names a tensor by file and name; reading it decodes the archive's own. */
    @Test
    void aTensorIsReadByItsFileAndName() throws IOException {
        try (ElfzReader r = ElfzReader.open(z);
                SafetensorsFile s = SafetensorsFile.open(model.resolve("sub/b.safetensors"));
                Arena arena = Arena.ofConfined()) {
            ElfzTensor t = r.tensor("sub/b.safetensors", "t.i32");
            ElfzTensor copy = new ElfzTensor(
                    t.file(), t.name(), t.dtype(), t.shape(), t.offset(), t.exceptions(), t.errorBound(), t.data());
            assertEquals(t, copy);
            assertEquals(-1, r.read(copy, arena).mismatch(s.data(s.tensor("t.i32"))), "the original bytes");
            ElfzTensor elsewhere = new ElfzTensor(
                    "c.safetensors",
                    t.name(),
                    t.dtype(),
                    t.shape(),
                    t.offset(),
                    t.exceptions(),
                    t.errorBound(),
                    t.data());
            assertThrows(IllegalArgumentException.class, () -> r.read(elsewhere, arena));
        }
    }

    /** AUTO's codec where a chunk was coded; raw where none shrank; checksums where the bytes come back exactly. */
    @Test
    void codecsFollowTheChoiceAndTheChunks() {
        List<ElfzTensor> tensors = written.tensors();
        assertEquals(2 * (Dtype.values().length + 4), tensors.size());
        for (ElfzTensor t : tensors) {
            boolean coded = t.data().chunks().stream().anyMatch(Chunk::coded);
            assertEquals(coded ? CodecChoice.AUTO.codecFor(t.dtype()) : Codec.RAW, t.codec(), t.toString());
            assertEquals(
                    t.codec() == Codec.RAW || t.codec() == Codec.LOSSLESS,
                    t.data().crc32c().isPresent(),
                    t.toString());
            assertEquals(t.codec() == Codec.ELF ? t.dtype().elfType().errorBound() : 0, t.errorBound(), t.toString());
            assertTrue(t.exceptions() >= 0, t.toString());
        }
        ElfzTensor big = tensors.stream()
                .filter(t -> t.name().equals("big-f32"))
                .findFirst()
                .orElseThrow();
        assertEquals(Codec.ELF, big.codec());
        assertTrue(big.data().entropyCoded());
        assertTrue(big.storedBytes() < big.byteSize(), "ELF shrinks Gaussian weights");
        assertTrue(big.exceptions() > 0, "the specials everyDtype plants are exceptions");
    }

    /** Every chunk lies between the prologue and the index, the chunks tile that span, and their CRCs hold. */
    @Test
    void chunksLieInsideTheFile() {
        ByteBuffer trailer = ByteBuffer.wrap(file, file.length - ElfzFormat.TRAILER_BYTES, ElfzFormat.TRAILER_BYTES)
                .slice()
                .order(ByteOrder.LITTLE_ENDIAN);
        long indexOffset = trailer.getLong(0);
        List<Chunk> all = new ArrayList<>();
        for (ElfzFile f : written.files()) {
            List<ChunkStream> streams = new ArrayList<>();
            if (f.header() != null) {
                streams.add(f.header());
            }
            if (f.data() != null) {
                streams.add(f.data());
            }
            f.tensors().forEach(t -> streams.add(t.data()));
            for (ChunkStream s : streams) {
                assertEquals(
                        (s.size() + s.chunkBytes() - 1) / s.chunkBytes(),
                        s.chunks().size());
                long original = 0;
                for (int i = 0; i < s.chunks().size(); i++) {
                    original += s.chunkSize(i);
                }
                assertEquals(s.size(), original);
                all.addAll(s.chunks());
            }
        }
        all.sort(Comparator.comparingLong(Chunk::offset));
        long at = ElfzFormat.PROLOGUE_BYTES;
        for (Chunk c : all) {
            assertEquals(at, c.offset(), "chunks follow one another from the prologue on");
            assertTrue(c.length() >= 0 && c.offset() + c.length() <= indexOffset, c.toString());
            CRC32C crc = new CRC32C();
            crc.update(file, (int) c.offset(), (int) c.length());
            assertEquals(crc.getValue(), c.crc32c(), c.toString());
            at += c.length();
        }
        assertEquals(indexOffset, at, "the last chunk ends where the index begins");
    }
}
