package dev.elfz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.elfz.kernel.Kernel;
import dev.elfz.kernel.Kernels;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** readInto a segment of a Java array gives the bytes read into off-heap memory gives, on every kernel. */
class HeapReadTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(
            value = CodecChoice.class,
            names = {"ELF", "LOSSLESS", "UNIFORM"})
    void arraySegmentsGetTheSameBytes(CodecChoice choice) throws IOException {
        Path in = TestModels.everyDtype(dir.resolve("m.safetensors"), 3);
        Path z = dir.resolve("m.elfz");
        Elfz.compress(in, z, ElfzOptions.defaults().withCodec(choice).withChunkBytes(256));
        for (Kernel k : Kernels.available()) {
            try (ElfzReader r = ElfzReader.open(z, k);
                    Arena arena = Arena.ofConfined()) {
                for (ElfzTensor t : r.tensors()) {
                    MemorySegment offHeap = r.read(t, arena);
                    // long[]: the array type whose segments the Java Vector kernel was slowest on
                    MemorySegment array = MemorySegment.ofArray(new long[(int) (t.byteSize() + 7) / 8])
                            .asSlice(0, t.byteSize());
                    r.readInto(t, array);
                    assertEquals(-1, offHeap.mismatch(array), k.name() + " " + t.name());
                }
            }
        }
    }
}
