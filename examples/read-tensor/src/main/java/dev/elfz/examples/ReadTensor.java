package dev.elfz.examples;

import dev.elfz.Dtype;
import dev.elfz.ElfzReader;
import dev.elfz.ElfzTensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.StringJoiner;

/**
 * {@code ReadTensor FILE.elfz [TENSOR]}: opens an .elfz file, decodes one tensor (the first float32 one unless
 * named) and prints its name, dtype, shape and first values.
 */
public final class ReadTensor {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int SHOWN = 8;

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: ReadTensor FILE.elfz [TENSOR]");
            System.exit(2);
        }
        try (ElfzReader reader = ElfzReader.open(Path.of(args[0])); Arena arena = Arena.ofConfined()) {
            ElfzTensor t = args.length == 2 ? reader.tensor(args[1]) : firstF32(reader);
            MemorySegment values = reader.read(t, arena); // little-endian, row-major, as in safetensors
            System.out.println(t.name() + " " + t.dtype() + " " + Arrays.toString(t.shape()) + " (" + t.codec().id()
                    + ", " + t.storedBytes() + " of " + t.byteSize() + " bytes stored)");
            System.out.println(t.dtype() == Dtype.F32 ? firstValues(values) : "(not float32: values not printed)");
        } catch (IllegalArgumentException e) { // no such tensor, or no float32 one
            System.err.println(e.getMessage());
            System.exit(1);
        }
    }

    private static ElfzTensor firstF32(ElfzReader reader) {
        return reader.tensors().stream().filter(t -> t.dtype() == Dtype.F32 && t.elements() > 0).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(reader.path() + " has no float32 tensor"));
    }

    private static String firstValues(MemorySegment values) {
        StringJoiner line = new StringJoiner(", ", "[", values.byteSize() > SHOWN * Float.BYTES ? ", ...]" : "]");
        for (long i = 0; i < Math.min(SHOWN, values.byteSize() / Float.BYTES); i++) {
            line.add(Float.toString(values.getAtIndex(F32, i)));
        }
        return line.toString();
    }
}
