package dev.elfz.eval;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The values of one input file (.npy or .json), before conversion to the model input's type: integers and
 * booleans as {@code long}, floats as {@code double}, in C order.
 *
 * @param source where they come from, for messages: the file, or "input_ids (generated)"
 * @param dtype the file's element type in NumPy's words: "int64", "float32", "bool" ... ("int" or "float" for JSON)
 * @param ints the values when the kind is BOOL or INT, else null
 * @param floats the values when the kind is FLOAT, else null
 */
record Values(String source, Kind kind, String dtype, long[] shape, long[] ints, double[] floats) {

    enum Kind {
        BOOL,
        INT,
        FLOAT
    }

    /** Arrays over this many elements are refused: Java arrays and ONNX Runtime's buffers stop at 2^31. */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    int count() {
        return kind == Kind.FLOAT ? floats.length : ints.length;
    }

    /** The element count of a shape, or an error naming its source when it is too large for a Java array. */
    static int count(String source, long[] shape) throws IOException {
        long n = 1;
        for (long d : shape) {
            n = d == 0 ? 0 : n > MAX_ELEMENTS / d ? MAX_ELEMENTS + 1 : n * d;
        }
        if (n > MAX_ELEMENTS) {
            throw new IOException(source + ": shape " + Arrays.toString(shape) + " holds over 2^31 values: too large");
        }
        return (int) n;
    }

    /** The flat index i of a C-order array of this shape as [i0, i1, ...], for messages. */
    static String position(long[] shape, int i) {
        long[] at = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            at[d] = shape[d] == 0 ? 0 : i % shape[d];
            i = shape[d] == 0 ? i : (int) (i / shape[d]);
        }
        return Arrays.toString(at);
    }

    /** Reads a .npy or .json file by its extension. */
    static Values read(Path file) throws IOException {
        String name = file.getFileName() == null ? "" : file.getFileName().toString();
        if (name.endsWith(".npy")) {
            return NpyReader.read(file);
        }
        if (name.endsWith(".json")) {
            return JsonArrays.read(file);
        }
        throw new IOException(
                file + ": not a .npy or .json file (--input takes NumPy's np.save output or a JSON " + "nested array)");
    }
}
