package dev.elfz.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.elfz.Dtype;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files over 4 GiB and tensors over 2^31 elements, sparse so that they cost neither disk nor time. */
class LargeSafetensorsTest {

    private static final long BIG = (1L << 32) + 24; // elements: past 2^32, so offsets need 64 bits

    @Test
    void readsAHandMadeFileOverFourGiB(@TempDir Path dir) throws IOException {
        byte[] header =
                SafetensorsTestFiles.padded("{\"small\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"big\":{\"dtype\":\"F32\",\"shape\":[" + BIG + "],\"data_offsets\":[8," + (8 + 4 * BIG)
                        + "]}}");
        Path p = SafetensorsTestFiles.write(
                dir, "big.safetensors", SafetensorsTestFiles.assemble(header.length, header, new byte[0]));
        long dataStart = 8 + header.length;
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(dataStart + 8 + 4 * BIG); // sparse: no blocks for the zeros
            raf.seek(dataStart + 8 + 4 * (BIG - 2));
            raf.writeInt(Integer.reverseBytes(Float.floatToRawIntBits(0.25f)));
        }
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            TensorInfo big = f.tensor("big");
            assertEquals(BIG, big.elements());
            MemorySegment data = f.data(big);
            assertEquals(4 * BIG, data.byteSize());
            assertEquals(0.25f, data.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, BIG - 2));
            assertEquals(0f, data.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, BIG - 1));
        }
    }

    @Test
    void writesAndReadsATensorOverFourGiB(@TempDir Path dir) throws IOException {
        Path p = dir.resolve("big.safetensors");
        List<TensorSpec> specs = List.of(
                new TensorSpec("head", Dtype.U8, new long[] {3}), new TensorSpec("big", Dtype.U8, new long[] {BIG}));
        try (SafetensorsWriter w = SafetensorsWriter.create(p, specs, Map.of("k", "v"), false)) {
            w.region(0).fill((byte) 9);
            w.region(1).set(ValueLayout.JAVA_BYTE, BIG - 5, (byte) 42); // only this page of 4 GiB is stored
            w.commit();
        }
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(Files.size(p), f.fileSize());
            MemorySegment big = f.data(f.tensor("big"));
            assertEquals(BIG, big.byteSize());
            assertEquals(42, big.get(ValueLayout.JAVA_BYTE, BIG - 5));
            assertEquals(0, big.get(ValueLayout.JAVA_BYTE, BIG - 1));
            assertEquals(9, f.data(f.tensor("head")).get(ValueLayout.JAVA_BYTE, 2));
        }
    }
}
