package dev.elfz.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.Dtype;
import dev.elfz.kernel.ElfType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writer and reader together: every dtype, empty and 0-d tensors, metadata, and the reference's exact bytes. */
class SafetensorsRoundTripTest {

    @TempDir
    Path dir;

    /** Every dtype (sub-byte ones with whole bytes), plus an empty and a 0-d tensor, with random contents. */
    @Test
    void everyDtypeRoundTrips() throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        for (Dtype d : Dtype.values()) {
            long[] shape = switch (d.bits()) {
                case 4 -> new long[] {2, 4};
                case 6 -> new long[] {4};
                default -> new long[] {2, 3};
            };
            specs.add(new TensorSpec("t." + d.name().toLowerCase(), d, shape));
        }
        specs.add(new TensorSpec("empty", Dtype.F32, new long[] {0, 5}));
        specs.add(new TensorSpec("scalar", Dtype.F64, new long[] {}));
        specs.add(new TensorSpec("empty_u8", Dtype.U8, new long[] {3, 0}));
        Random random = new Random(42);
        List<MemorySegment> data = new ArrayList<>();
        for (TensorSpec s : specs) {
            byte[] b = new byte[(int) s.byteSize()];
            random.nextBytes(b);
            data.add(MemorySegment.ofArray(b));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("note", "ünïcødé \"quoted\"\nnew line");
        metadata.put("a", "");
        Path p = dir.resolve("all.safetensors");
        SafetensorsWriter.write(p, specs, data, metadata, false);

        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(
                    new ArrayList<>(metadata.entrySet()),
                    new ArrayList<>(f.metadata().entrySet()));
            assertEquals(specs.size(), f.tensors().size());
            long offset = 0;
            for (int i = 0; i < specs.size(); i++) {
                TensorInfo t = f.tensors().get(i);
                assertEquals(specs.get(i), t.spec());
                assertEquals(offset, t.begin());
                offset = t.end();
                MemorySegment got = f.data(t);
                assertEquals(-1, got.mismatch(data.get(i)), t.name());
                assertTrue(got.isReadOnly());
                assertSame(t, f.tensor(t.name()));
            }
            assertEquals(0, f.headerLength() % 8);
            assertEquals(Files.size(p), 8 + f.headerLength() + offset);
            assertEquals(1, f.tensor("scalar").elements());
            assertEquals(0, f.tensor("empty").elements());
            assertEquals(0, f.data(f.tensor("empty")).byteSize());
            assertThrows(IllegalArgumentException.class, () -> f.tensor("absent"));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> f.data(new TensorInfo("scalar", Dtype.I64, new long[] {}, 0, 8)));
        }
    }

    /** The file the reference writer makes for these tensors, assembled by hand, byte for byte. */
    @Test
    void sameBytesAsTheReference() throws IOException {
        String json = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[8,9]},"
                + "\"c\":{\"dtype\":\"I16\",\"shape\":[0,3],\"data_offsets\":[9,9]}}";
        byte[] header = SafetensorsTestFiles.padded(json);
        assertEquals(json.length() + 1, header.length); // 191 bytes of JSON, 1 space
        byte[] data = {0, 0, (byte) 0x80, 0x3f, 0, 0, 0, (byte) 0xc0, 7}; // 1.0f, -2.0f, 7
        byte[] expected = SafetensorsTestFiles.assemble(header.length, header, data);

        Path p = dir.resolve("ref.safetensors");
        SafetensorsWriter.write(
                p,
                List.of(
                        new TensorSpec("a", Dtype.F32, new long[] {2}),
                        new TensorSpec("b", Dtype.U8, new long[] {}),
                        new TensorSpec("c", Dtype.I16, new long[] {0, 3})),
                List.of(
                        MemorySegment.ofArray(new float[] {1f, -2f}),
                        MemorySegment.ofArray(new byte[] {7}),
                        MemorySegment.NULL),
                Map.of("format", "pt"),
                false);
        assertArrayEquals(expected, Files.readAllBytes(p));

        try (SafetensorsFile f = SafetensorsFile.open(SafetensorsTestFiles.write(dir, "hand.safetensors", expected))) {
            assertEquals(
                    List.of("a", "b", "c"),
                    f.tensors().stream().map(TensorInfo::name).toList());
            assertEquals(-2f, f.data(f.tensor("a")).getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 1));
            assertEquals(Map.of("format", "pt"), f.metadata());
        }
    }

    /** Readers list tensors in data order, whatever the header order (the reference writer sorts its header). */
    @Test
    void tensorsComeInDataOrder() throws IOException {
        Path p = SafetensorsTestFiles.file(
                dir,
                "o.safetensors",
                "{\"z\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]},"
                        + "\"e\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[2,2]},"
                        + "\"y\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},\"__metadata__\":null}",
                4);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(
                    List.of("y", "e", "z"),
                    f.tensors().stream().map(TensorInfo::name).toList());
            assertEquals(3, f.data(f.tensor("z")).get(ValueLayout.JAVA_BYTE, 1));
            assertTrue(f.metadata().isEmpty());
        }
    }

    @Test
    void emptyFileHasOnlyAHeader() throws IOException {
        Path p = dir.resolve("none.safetensors");
        SafetensorsWriter.write(p, List.of(), List.of(), Map.of(), false);
        assertArrayEquals(
                SafetensorsTestFiles.assemble(8, "{}      ".getBytes(StandardCharsets.US_ASCII), new byte[0]),
                Files.readAllBytes(p));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertTrue(f.tensors().isEmpty());
        }
    }

    @Test
    void dtypes() {
        assertEquals(ElfType.F32, Dtype.F32.elfType());
        assertEquals(ElfType.F16, Dtype.F16.elfType());
        assertEquals(ElfType.BF16, Dtype.BF16.elfType());
        assertEquals(ElfType.F64, Dtype.F64.elfType());
        assertNull(Dtype.I32.elfType());
        assertNull(Dtype.F8_E4M3.elfType());
        assertEquals(Dtype.F8_E4M3FNUZ, Dtype.forName("F8_E4M3FNUZ"));
        assertNull(Dtype.forName("bf16"));
        assertEquals(22, Dtype.values().length);
        assertEquals(3, Dtype.F6_E3M2.byteSize(new long[] {4}));
        assertThrows(IllegalArgumentException.class, () -> new TensorSpec("x", Dtype.F4, new long[] {1}));
        assertThrows(IllegalArgumentException.class, () -> new TensorSpec("x", Dtype.F32, new long[] {-2}));
        assertThrows(IllegalArgumentException.class, () -> new TensorInfo("x", Dtype.F32, new long[] {3}, 0, 10));
    }
}
