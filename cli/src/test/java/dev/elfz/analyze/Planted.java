package dev.elfz.analyze;

import dev.elfz.Dtype;
import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorSpec;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Safetensors files with planted content: tensors given as bytes, so the analysis has known answers. */
final class Planted {

    private final List<TensorSpec> specs = new ArrayList<>();
    private final List<MemorySegment> data = new ArrayList<>();

    Planted add(String name, Dtype dtype, long[] shape, byte[] bytes) {
        specs.add(new TensorSpec(name, dtype, shape));
        data.add(MemorySegment.ofArray(bytes));
        return this;
    }

    Planted floats(String name, float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return add(name, Dtype.F32, new long[] {values.length}, b.array());
    }

    Path write(Path file) throws IOException {
        SafetensorsWriter.write(file, specs, data, Map.of(), false);
        return file;
    }

    static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }
}
