package dev.elfz.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxJavaType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --input files: .npy and .json read strictly, and their values converted to the input's type only when they fit. */
class InputFilesTest {

    @TempDir
    Path dir;

    private Path npy(String name, int major, String descr, long[] shape, ByteOrder order, Number... v) {
        int width = Integer.parseInt(descr.substring(2));
        ByteBuffer b = ByteBuffer.allocate(width * v.length).order(order);
        for (Number x : v) {
            switch (descr.charAt(1) + "" + width) {
                case "f2" -> b.putShort(Float.floatToFloat16(x.floatValue()));
                case "f4" -> b.putFloat(x.floatValue());
                case "f8" -> b.putDouble(x.doubleValue());
                default -> {
                    switch (width) {
                        case 1 -> b.put(x.byteValue());
                        case 2 -> b.putShort(x.shortValue());
                        case 4 -> b.putInt(x.intValue());
                        default -> b.putLong(x.longValue());
                    }
                }
            }
        }
        return NpyBytes.write(dir.resolve(name), major, NpyBytes.dict(descr, shape), b.array());
    }

    private Path npy(String name, String descr, long[] shape, Number... v) {
        return npy(name, 1, descr, shape, ByteOrder.LITTLE_ENDIAN, v);
    }

    private Path json(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    /** Reading fails with one message: the file, then every part. */
    private static void fails(Path file, String... parts) {
        IOException e = assertThrows(IOException.class, () -> Values.read(file));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' missing from: " + e.getMessage());
        }
    }

    @Test
    void npyOfEveryType() throws IOException {
        long[] two = {2};
        assertValues(Values.read(npy("b.npy", "|b1", two, 1, 0)), "bool", Values.Kind.BOOL, 1, 0);
        assertValues(Values.read(npy("i1.npy", "|i1", two, -128, 127)), "int8", Values.Kind.INT, -128, 127);
        assertValues(Values.read(npy("u1.npy", "|u1", two, -1, 7)), "uint8", Values.Kind.INT, 255, 7);
        assertValues(Values.read(npy("i2.npy", "<i2", two, -300, 300)), "int16", Values.Kind.INT, -300, 300);
        assertValues(Values.read(npy("u2.npy", "<u2", two, -1, 1)), "uint16", Values.Kind.INT, 65535, 1);
        assertValues(Values.read(npy("i4.npy", "<i4", two, -70000, 70000)), "int32", Values.Kind.INT, -70000, 70000);
        assertValues(Values.read(npy("u4.npy", "<u4", two, -1, 2)), "uint32", Values.Kind.INT, 4294967295L, 2);
        assertValues(
                Values.read(npy("i8.npy", "<i8", two, Long.MIN_VALUE, 30521)),
                "int64",
                Values.Kind.INT,
                Long.MIN_VALUE,
                30521);
        assertValues(
                Values.read(npy("u8.npy", "<u8", two, Long.MAX_VALUE, 0)),
                "uint64",
                Values.Kind.INT,
                Long.MAX_VALUE,
                0);
        Values be = Values.read(npy("be.npy", 1, ">i4", two, ByteOrder.BIG_ENDIAN, 1, -2));
        assertArrayEquals(new long[] {1, -2}, be.ints());
        Values f2 = Values.read(npy("f2.npy", "<f2", two, 1.5, -0.25));
        assertArrayEquals(new double[] {1.5, -0.25}, f2.floats());
        assertEquals("float16", f2.dtype());
        assertArrayEquals(
                new double[] {0.1f, Float.NaN},
                Values.read(npy("f4.npy", "<f4", two, 0.1, Float.NaN)).floats());
        assertArrayEquals(
                new double[] {0.1, -1e300},
                Values.read(npy("f8be.npy", 1, ">f8", two, ByteOrder.BIG_ENDIAN, 0.1, -1e300))
                        .floats());
    }

    private static void assertValues(Values v, String dtype, Values.Kind kind, long... ints) {
        assertEquals(dtype, v.dtype());
        assertEquals(kind, v.kind());
        assertArrayEquals(ints, v.ints());
        assertNull(v.floats());
    }

    @Test
    void npyShapesAndVersions() throws IOException {
        Values m = Values.read(npy("m.npy", "<i8", new long[] {2, 3}, 1, 2, 3, 4, 5, 6));
        assertArrayEquals(new long[] {2, 3}, m.shape());
        assertArrayEquals(new long[] {1, 2, 3, 4, 5, 6}, m.ints());
        Values scalar = Values.read(npy("s.npy", "<i8", new long[0], 42));
        assertArrayEquals(new long[0], scalar.shape());
        assertArrayEquals(new long[] {42}, scalar.ints());
        assertEquals(0, Values.read(npy("e.npy", "<f4", new long[] {1, 0})).count());
        for (int major = 2; major <= 3; major++) {
            Values v = Values.read(npy("v" + major + ".npy", major, "<i8", new long[] {1}, ByteOrder.LITTLE_ENDIAN, 7));
            assertArrayEquals(new long[] {7}, v.ints());
        }
    }

    @Test
    void badNpyFiles() throws IOException {
        long[] one = {1};
        byte[] eight = new byte[8];
        fails(json("x.npy", "[1, 2]"), "bad .npy file", "no \\x93NUMPY magic");
        fails(NpyBytes.write(dir.resolve("v4.npy"), 4, NpyBytes.dict("<i8", one), eight), "format version 4.0");
        Path cut = NpyBytes.write(dir.resolve("cut.npy"), 1, NpyBytes.dict("<i8", one), eight);
        Files.write(cut, Arrays.copyOf(Files.readAllBytes(cut), 40));
        fails(cut, "header length 118 runs past the end of the file");
        fails(
                NpyBytes.write(dir.resolve("keys.npy"), 1, "{'descr': '<i8', 'shape': (1,), }", eight),
                "header keys [descr, shape], expected descr, fortran_order and shape");
        fails(
                NpyBytes.write(
                        dir.resolve("f.npy"),
                        1,
                        NpyBytes.dict("<i8", new long[] {1, 1}).replace("False", "True"),
                        eight),
                "Fortran order is not supported");
        fails(npy("c.npy", "<c8", one, 1), "dtype '<c8' is not supported");
        fails(NpyBytes.write(dir.resolve("u.npy"), 1, NpyBytes.dict("<U5", one), new byte[20]), "dtype '<U5'");
        fails(
                NpyBytes.write(
                        dir.resolve("st.npy"),
                        1,
                        "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,), }",
                        new byte[4]),
                "bad .npy file: header unexpected value");
        fails(
                NpyBytes.write(dir.resolve("syntax.npy"), 1, "{'descr': '<i8' 'fortran_order': False}", eight),
                "expected ','");
        fails(
                NpyBytes.write(dir.resolve("short.npy"), 1, NpyBytes.dict("<i8", new long[] {2}), eight),
                "holds 8 bytes of values, but shape [2] of int64 takes 16 (truncated?)");
        fails(NpyBytes.write(dir.resolve("long.npy"), 1, NpyBytes.dict("<i8", one), new byte[9]), "holds 9 bytes");
        fails(npy("big.npy", "<u8", new long[] {1, 2}, 1, -1), "value 18446744073709551615 at [0, 1] is over 2^63 - 1");
        fails(npy("b2.npy", "|b1", one, 2), "bool value 2 (not 0 or 1) at [0]");
        fails(json("x.txt", "[1]"), "not a .npy or .json file");
        IOException missing = assertThrows(IOException.class, () -> Values.read(dir.resolve("none.npy")));
        assertTrue(missing instanceof NoSuchFileException, missing.toString());
    }

    @Test
    void jsonArrays() throws IOException {
        Values ids = Values.read(json("ids.json", "[[101, 1996, 4937, 102]]"));
        assertEquals(Values.Kind.INT, ids.kind());
        assertArrayEquals(new long[] {1, 4}, ids.shape());
        assertArrayEquals(new long[] {101, 1996, 4937, 102}, ids.ints());
        Values scalar = Values.read(json("s.json", "7"));
        assertArrayEquals(new long[0], scalar.shape());
        assertArrayEquals(new long[] {7}, scalar.ints());
        Values bools = Values.read(json("b.json", "[[true], [false]]"));
        assertEquals(Values.Kind.BOOL, bools.kind());
        assertArrayEquals(new long[] {1, 0}, bools.ints());
        Values floats = Values.read(json("f.json", "[1, 2.5, -3e2]"));
        assertEquals(Values.Kind.FLOAT, floats.kind());
        assertArrayEquals(new double[] {1, 2.5, -300}, floats.floats());
        assertArrayEquals(
                new long[] {2, 0}, Values.read(json("e.json", "[[], []]")).shape());
    }

    @Test
    void badJson() throws IOException {
        fails(json("ragged.json", "[[1, 2], [3]]"), "ragged array: [1] has 1 elements, expected 2");
        fails(json("deep.json", "[[1, 2], [3, [4]]]"), "ragged array: [1][1] is an array, expected a value");
        fails(json("flat.json", "[[1, 2], 3]"), "ragged array: [1] has a single value, expected 2");
        fails(json("str.json", "[[1, \"a\"]]"), "[0, 1] is a string among numbers");
        fails(json("mixed.json", "[true, 1]"), "[1] is a number 1 among booleans");
        fails(json("null.json", "[1, null]"), "[1] is null");
        fails(
                json("huge.json", "[1, 123456789012345678901234]"),
                "value 123456789012345678901234 at [1] does not fit in 64 bits");
        fails(json("bad.json", "[1, 2"), "not JSON");
        fails(json("empty.json", ""), "empty file");
        fails(json("rank.json", "[[[[[[[[[1]]]]]]]]]"), "nested over 8 deep");
    }

    private Values ints(long... v) {
        return new Values("x.json", Values.Kind.INT, "int", new long[] {v.length}, v, null);
    }

    private Values floats(double... v) {
        return new Values("x.npy", Values.Kind.FLOAT, "float64", new long[] {v.length}, null, v);
    }

    private static void refused(Values v, OnnxJavaType type, String... parts) {
        IOException e = assertThrows(IOException.class, () -> Feeds.convert(v, "in", type));
        assertTrue(e.getMessage().startsWith(v.source() + ": "), e.getMessage());
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' missing from: " + e.getMessage());
        }
    }

    private static ByteBuffer bytes(Feeds.Feed f) {
        return f.bytes().duplicate().order(ByteOrder.nativeOrder());
    }

    @Test
    void conversionKeepsValuesThatFit() throws IOException {
        Feeds.Feed i64 = Feeds.convert(ints(Long.MIN_VALUE, 30521), "in", OnnxJavaType.INT64);
        assertEquals(Long.MIN_VALUE, bytes(i64).getLong(0));
        assertEquals(30521, bytes(i64).getLong(8));
        assertArrayEquals(new long[] {2}, i64.shape());
        assertEquals(
                -5, bytes(Feeds.convert(ints(-5), "in", OnnxJavaType.INT32)).getInt(0));
        assertEquals(
                -32768,
                bytes(Feeds.convert(ints(-32768), "in", OnnxJavaType.INT16)).getShort(0));
        assertEquals(
                (byte) 255,
                bytes(Feeds.convert(ints(255), "in", OnnxJavaType.UINT8)).get(0));
        assertEquals(
                -128, bytes(Feeds.convert(ints(-128), "in", OnnxJavaType.INT8)).get(0));
        assertEquals(
                1, bytes(Feeds.convert(ints(0, 1), "in", OnnxJavaType.BOOL)).get(1));
        assertEquals(
                16777216f,
                bytes(Feeds.convert(ints(16777216), "in", OnnxJavaType.FLOAT)).getFloat(0));
        assertEquals(
                0.1f,
                bytes(Feeds.convert(floats(0.1), "in", OnnxJavaType.FLOAT)).getFloat(0));
        assertEquals(
                Float.NEGATIVE_INFINITY,
                bytes(Feeds.convert(floats(Double.NEGATIVE_INFINITY), "in", OnnxJavaType.FLOAT))
                        .getFloat(0));
        assertEquals(
                1e300,
                bytes(Feeds.convert(floats(1e300), "in", OnnxJavaType.DOUBLE)).getDouble(0));
        assertEquals(
                -(1L << 53),
                bytes(Feeds.convert(ints(-(1L << 53)), "in", OnnxJavaType.DOUBLE))
                        .getDouble(0));
        Values bools = new Values("b.npy", Values.Kind.BOOL, "bool", new long[] {2}, new long[] {1, 0}, null);
        assertEquals(1, bytes(Feeds.convert(bools, "in", OnnxJavaType.INT64)).getLong(0));
    }

    @Test
    void conversionRefusesValuesThatDoNot() {
        refused(floats(1.0, 2.0), OnnxJavaType.INT64, "float64 values, but input in is INT64: give integers");
        refused(floats(1.0), OnnxJavaType.BOOL, "give integers 0/1 or booleans");
        refused(
                ints(1, 1L << 31),
                OnnxJavaType.INT32,
                "value 2147483648 at [1] is out of range for INT32 [-2147483648, 2147483647] (input in)");
        refused(ints(-129), OnnxJavaType.INT8, "value -129 at [0] is out of range for INT8");
        refused(ints(-1), OnnxJavaType.UINT8, "out of range for UINT8 [0, 255]");
        refused(ints(40000), OnnxJavaType.INT16, "out of range for INT16");
        refused(ints(0, 2), OnnxJavaType.BOOL, "value 2 at [1] is out of range for BOOL [0, 1]");
        refused(ints(16777217), OnnxJavaType.FLOAT, "value 16777217 at [0] is not exact in FLOAT");
        refused(ints(Long.MAX_VALUE), OnnxJavaType.DOUBLE, "is not exact in DOUBLE");
        refused(floats(0, 1e39), OnnxJavaType.FLOAT, "value 1.0E39 at [1] is not exact in FLOAT");
        refused(ints(1), OnnxJavaType.STRING, "input in is STRING; elfz eval gives BOOL, INT8");
    }
}
