package dev.elfz.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.Codec;
import dev.elfz.CodecChoice;
import dev.elfz.Dtype;
import dev.elfz.Elfz;
import dev.elfz.ElfzOptions;
import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorSpec;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java API of verification: checks per stream, and how 16-bit floats are read. */
class VerifyTest {

    @TempDir
    Path dir;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void halfAndBrainFloatsAreReadAsTheirValues() {
        MemorySegment s = MemorySegment.ofArray(new byte[8]);
        s.setAtIndex(U16, 0, (short) 0x3c00); // F16 1.0
        s.setAtIndex(U16, 1, (short) 0xbf80); // BF16 -1.0
        s.setAtIndex(U16, 2, (short) 0x3555); // F16 0.333251953125
        s.setAtIndex(U16, 3, (short) 0x7fc0); // NaN in both
        assertEquals(1.0, Verify.value(Dtype.F16, s, 0));
        assertEquals(-1.0, Verify.value(Dtype.BF16, s, 1));
        assertEquals(0.333251953125, Verify.value(Dtype.F16, s, 2));
        assertTrue(Double.isNaN(Verify.value(Dtype.F16, s, 3)) && Double.isNaN(Verify.value(Dtype.BF16, s, 3)));
    }

    @Test
    void reportsEveryStreamWithItsBoundAndError() throws IOException {
        float[] w = new float[64];
        for (int i = 0; i < w.length; i++) {
            w[i] = (i - 32) / 33f;
        }
        w[3] = 2.5f; // exceptions
        w[4] = Float.NaN;
        w[12] = 0.01f;
        Path in = dir.resolve("a.safetensors");
        SafetensorsWriter.write(
                in,
                List.of(new TensorSpec("w", Dtype.F32, new long[] {64}), new TensorSpec("n", Dtype.I32, new long[] {1
                })),
                List.of(MemorySegment.ofArray(w), MemorySegment.ofArray(new int[] {7})),
                Map.of(),
                false);
        Path z = dir.resolve("a.elfz");
        Elfz.compress(in, z, ElfzOptions.defaults().withCodec(CodecChoice.ELF).withThreads(1));

        Verify.Report r = Verify.verify(in, z, ElfzOptions.defaults());
        assertTrue(r.ok(), r.problems().toString());
        assertEquals(
                List.of(Verify.Kind.HEADER, Verify.Kind.TENSOR, Verify.Kind.TENSOR),
                r.checks().stream().map(Verify.Check::kind).toList());
        Verify.Check c = r.checks().get(1);
        assertEquals("w", c.name());
        assertEquals(Codec.ELF, c.codec());
        assertEquals(0x1p-24, c.bound());
        assertTrue(c.maxError() > 0 && c.maxError() <= 0x1p-24, "error " + c.maxError());
        assertNull(c.problem());
        assertEquals(0, r.checks().get(2).maxError());

        w[12] = 0.0105f; // 0.0005 from what the archive holds
        SafetensorsWriter.write(
                in,
                List.of(new TensorSpec("w", Dtype.F32, new long[] {64}), new TensorSpec("n", Dtype.I32, new long[] {1
                })),
                List.of(MemorySegment.ofArray(w), MemorySegment.ofArray(new int[] {7})),
                Map.of(),
                true);
        Verify.Report bad = Verify.verify(in, z, ElfzOptions.defaults().withThreads(2));
        assertEquals(1, bad.problems().size(), bad.problems().toString());
        assertTrue(
                bad.problems().getFirst().startsWith("tensor w: value 12: 0.0105 decoded as 0.00999999, error 5.0000"),
                bad.problems().getFirst());
        assertEquals(0.0005, bad.checks().get(1).maxError(), 1e-6);
    }
}
