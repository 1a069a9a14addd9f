package dev.elfz.onnx;

import static dev.elfz.onnx.OnnxBytes.doubles;
import static dev.elfz.onnx.OnnxBytes.floats;
import static dev.elfz.onnx.OnnxBytes.tensor;
import static dev.elfz.onnx.OnnxBytes.weights;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.CodecChoice;
import dev.elfz.Elfz;
import dev.elfz.ElfzArchive;
import dev.elfz.ElfzFile;
import dev.elfz.ElfzOptions;
import dev.elfz.ElfzReader;
import dev.elfz.FileKind;
import dev.elfz.InputKind;
import dev.elfz.container.Verify;
import dev.elfz.safetensors.TensorInfo;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A crafted ONNX file (every way an initializer holds its values) read, and through the container and back. */
class OnnxFileTest {

    @TempDir
    Path dir;

    /** Payloads of the crafted model by initializer name, as written. */
    static final Map<String, byte[]> PAYLOADS = Map.of(
            "w_raw", floats(weights(32, 1)),
            "w_float", floats(weights(15, 2)),
            "w_double", doubles(0.25, -0.5, 1e-3, 3.0, -7.5, 0.0),
            "ids", new byte[] {1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0},
            "i8", new byte[] {-1, 2, -3, 4, -5, 6, -7},
            "f16", new byte[] {0, 60, 0, -68, 0, 56, 0, 0, 1, 0, 0, 124, 0, 126, 85, 53, 0, 0},
            "bf16", new byte[] {-128, 63, 0, -65, 73, 64},
            "u4", new byte[] {0x21, 0x43, 0x05},
            "packed_dims", floats(weights(6, 3)));

    /**
     * A graph with initializers in raw_data, packed float_data and double_data, empty ones (a 0-byte raw_data, and
     * none), integer and 16-bit and 4-bit types, and the forms that stay in the skeleton: packed int32_data, unpacked
     * float_data, string_data.
     */
    static byte[] crafted() {
        return OnnxBytes.model(craftedGraph());
    }

    /** The graph of {@link #crafted}. */
    static OnnxBytes craftedGraph() {
        return new OnnxBytes()
                .message(1, new OnnxBytes().string(1, "x").string(2, "y").string(4, "Identity"))
                .string(2, "crafted")
                .message(5, tensor("w_raw", 1, 4, 8).bytes(9, PAYLOADS.get("w_raw")))
                .message(5, tensor("w_float", 1, 3, 5).bytes(4, PAYLOADS.get("w_float")))
                .message(5, tensor("w_double", 11, 6).bytes(10, PAYLOADS.get("w_double")))
                .message(5, tensor("empty_raw", 1, 0).bytes(9, new byte[0]))
                .message(5, tensor("empty_none", 1, 2, 0))
                .message(5, tensor("ids", 7, 3).bytes(9, PAYLOADS.get("ids")))
                .message(5, tensor("i8", 3, 7).bytes(9, PAYLOADS.get("i8")))
                .message(5, tensor("f16", 10, 9).bytes(9, PAYLOADS.get("f16")))
                .message(5, tensor("bf16", 16, 3).bytes(9, PAYLOADS.get("bf16")))
                .message(5, tensor("u4", 21, 5).bytes(9, PAYLOADS.get("u4")))
                .message(5, tensor("typed", 6, 3).bytes(5, packedVarints(1, 2, 300)))
                .message(5, tensor("unpacked", 1, 2).fixed32(4, 0.5f).fixed32(4, -0.25f))
                .message(5, tensor("text", 8, 1).string(6, "hello"))
                .message(
                        5,
                        new OnnxBytes()
                                .bytes(1, packedVarints(2, 3))
                                .varint(2, 1)
                                .string(8, "packed_dims")
                                .bytes(9, PAYLOADS.get("packed_dims")))
                .message(11, new OnnxBytes().string(1, "x"))
                .message(12, new OnnxBytes().string(1, "y"));
    }

    static byte[] packedVarints(long... v) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (long x : v) {
            b.writeBytes(OnnxBytes.varint(x));
        }
        return b.toByteArray();
    }

    @Test
    void everyFixedWidthPayloadIsATensorAndTheRestTheSkeleton() throws IOException {
        Path p = Files.write(dir.resolve("m.onnx"), crafted());
        try (OnnxFile f = OnnxFile.open(p)) {
            List<String> shown = f.tensors().stream()
                    .map(t -> t.name() + " " + t.dtype() + " " + Arrays.toString(t.shape()))
                    .toList();
            assertEquals(
                    List.of(
                            "w_raw F32 [4, 8]",
                            "w_float F32 [3, 5]",
                            "w_double F64 [6]",
                            "empty_raw F32 [0]",
                            "ids I64 [3]",
                            "i8 I8 [7]",
                            "f16 F16 [9]",
                            "bf16 BF16 [3]",
                            "u4 U8 [3]",
                            "packed_dims F32 [2, 3]"),
                    shown,
                    "typed, unpacked and string values and the payload-less tensor stay in the skeleton");
            long payloads = 0;
            for (TensorInfo t : f.tensors()) {
                if (PAYLOADS.containsKey(t.name())) {
                    assertArrayEquals(PAYLOADS.get(t.name()), f.data(t).toArray(ValueLayout.JAVA_BYTE), t.name());
                }
                assertTrue(f.data(t).isMapped() || t.byteSize() == 0, "a slice of the mapping, not a copy");
                payloads += t.byteSize();
            }
            assertEquals(f.fileSize() - payloads, f.skeleton().byteSize());
            // the skeleton's runs and the payloads put back together give the file
            byte[] whole = new byte[(int) f.fileSize()];
            MemorySegment w = MemorySegment.ofArray(whole);
            for (TensorInfo t : f.tensors()) {
                MemorySegment.copy(f.data(t), 0, w, t.begin(), t.byteSize());
            }
            OnnxFile.skeleton(f.fileSize(), f.tensors())
                    .forEach(
                            0,
                            f.skeleton().byteSize(),
                            (at, offset, length) -> MemorySegment.copy(f.skeleton(), offset, w, at, length));
            assertArrayEquals(Files.readAllBytes(p), whole);
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = CodecChoice.class,
            names = {"AUTO", "ELF", "LOSSLESS", "RAW"})
    void roundTripsThroughTheContainer(CodecChoice codec) throws IOException {
        Path p = Files.write(dir.resolve("m.onnx"), crafted());
        Path z = dir.resolve("m.onnx.elfz");
        // 64-byte chunks: the skeleton's chunks straddle the runs between payloads
        ElfzOptions o =
                ElfzOptions.defaults().withCodec(codec).withChunkBytes(64).withThreads(2);
        ElfzArchive a = Elfz.compress(p, z, o);
        assertEquals(FileKind.ONNX, a.files().getFirst().kind());
        assertEquals(InputKind.FILE, a.input());
        Path back = dir.resolve("back.onnx");
        Elfz.decompress(z, back, o);
        if (codec == CodecChoice.LOSSLESS || codec == CodecChoice.RAW) {
            assertEquals(-1, Files.mismatch(p, back), "byte-identical");
        } else {
            assertEquals(Files.size(p), Files.size(back));
            try (OnnxFile x = OnnxFile.open(p);
                    OnnxFile y = OnnxFile.open(back)) {
                assertEquals(x.tensors(), y.tensors());
                assertEquals(-1, x.skeleton().mismatch(y.skeleton()), "the graph untouched");
            }
        }
        Verify.Report r = Verify.verify(p, z, o);
        assertTrue(r.ok(), r.problems().toString());
        assertEquals(11, r.checks().size(), "10 tensors and the skeleton");
        try (ElfzReader reader = ElfzReader.open(z)) {
            assertEquals(10, reader.tensors().size());
        }
    }

    @Test
    void aDirectoryWithAnOnnxFileAndOthers() throws IOException {
        Path model = Files.createDirectories(dir.resolve("model/onnx"));
        Files.write(model.resolve("model.onnx"), crafted());
        Files.writeString(dir.resolve("model/config.json"), "{}");
        Path z = dir.resolve("model.elfz");
        ElfzOptions o = ElfzOptions.defaults().withCodec(CodecChoice.LOSSLESS);
        ElfzArchive a = Elfz.compress(dir.resolve("model"), z, o);
        assertEquals(
                List.of(FileKind.BLOB, FileKind.ONNX),
                a.files().stream().map(ElfzFile::kind).toList());
        Elfz.decompress(z, dir.resolve("back"), o);
        assertEquals(-1, Files.mismatch(model.resolve("model.onnx"), dir.resolve("back/onnx/model.onnx")));
        assertTrue(Verify.verify(dir.resolve("model"), z, o).ok());
    }

    /** The skeleton is copied out of the mapping when the file is opened: a file cut short meanwhile says so. */
    @Test
    void skeletonOfAFileCutShort() throws IOException {
        Path f = Files.write(dir.resolve("cut.onnx"), new byte[1 << 20]);
        try (Arena arena = Arena.ofShared();
                FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                raf.setLength(4096);
            }
            OnnxException e =
                    assertThrows(OnnxException.class, () -> new Payloads("cut.onnx", f, arena, mapped, List.of()));
            assertEquals(f + ": changed while it was being read", e.getMessage());
        }
    }
}
