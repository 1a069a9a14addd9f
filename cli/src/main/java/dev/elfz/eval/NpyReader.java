package dev.elfz.eval;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A strict reader of NumPy's .npy format (what {@code np.save} writes): the magic, version 1.0, 2.0 or 3.0, a
 * header that is a Python dict literal with exactly {@code descr}, {@code fortran_order} and {@code shape}, then
 * the values in C order. Types: bool, int8-64, uint8-64, float16-64, either byte order.
 *
 * <p>Why not a library: the one on Maven Central, org.jetbrains.bio:npy (0.3.5, February 2021), reads versions
 * 1.0 and 2.0 only, brings the Kotlin standard library, and fails with bare IllegalStateExceptions or
 * NullPointerExceptions that name neither the file nor the field; elfz needs one line naming both.
 */
final class NpyReader {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    private NpyReader() {}

    static Values read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > Integer.MAX_VALUE - 8) {
            throw new IOException(file + ": " + size + " bytes: too large for an input");
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 10 || !b.slice(0, MAGIC.length).equals(ByteBuffer.wrap(MAGIC))) {
            throw bad(file, "no \\x93NUMPY magic: not a .npy file");
        }
        int major = b.get(6) & 0xff;
        int minor = b.get(7) & 0xff;
        if (major < 1 || major > 3 || minor != 0) {
            throw bad(file, "format version " + major + "." + minor + " (1.0, 2.0 and 3.0 are known)");
        }
        int start = major == 1 ? 10 : 12;
        long length = major == 1 ? b.getShort(8) & 0xffff : b.remaining() < 12 ? -1 : b.getInt(8) & 0xffffffffL;
        if (length < 0 || start + length > b.limit()) {
            throw bad(file, "header length " + length + " runs past the end of the file");
        }
        byte[] h = new byte[(int) length];
        b.get(start, h);
        String text = new String(h, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Header header = Header.parse(file, text);
        int n = Values.count(file.toString(), header.shape());
        Dtype t = header.dtype();
        long expected = (long) n * t.bytes();
        int data = start + (int) length;
        if (b.limit() - data != expected) {
            throw bad(
                    file,
                    "holds " + (b.limit() - data) + " bytes of values, but shape "
                            + Arrays.toString(header.shape()) + " of " + t.name() + " takes " + expected
                            + (b.limit() - data < expected ? " (truncated?)" : ""));
        }
        return t.values(file, header.shape(), b.slice(data, (int) expected).order(t.order()), n);
    }

    private static IOException bad(Path file, String what) {
        return new IOException(file + ": bad .npy file: " + printable(what));
    }

    /** Text echoed from the file, with control characters as \xNN: the error stays one line. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.chars()
                .forEach(c ->
                        b.append(Character.isISOControl(c) ? String.format("\\x%02x", c) : String.valueOf((char) c)));
        return b.toString();
    }

    /** A descr such as "<i8": byte order, kind letter, size. */
    private record Dtype(String descr, ByteOrder order, char kind, int bytes) {

        static Dtype of(Path file, String descr) throws IOException {
            if (descr.length() >= 3 && "<>|".indexOf(descr.charAt(0)) >= 0) {
                char kind = descr.charAt(1);
                String size = descr.substring(2);
                if ((kind == 'b' && size.equals("1"))
                        || ("iu".indexOf(kind) >= 0
                                && List.of("1", "2", "4", "8").contains(size))
                        || (kind == 'f' && List.of("2", "4", "8").contains(size))) {
                    return new Dtype(
                            descr,
                            descr.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN,
                            kind,
                            Integer.parseInt(size));
                }
            }
            throw new IOException(file + ": dtype '" + printable(descr)
                    + "' is not supported (bool, int8-64, uint8-64, " + "float16-64)");
        }

        String name() {
            return switch (kind) {
                case 'b' -> "bool";
                case 'i' -> "int" + 8 * bytes;
                case 'u' -> "uint" + 8 * bytes;
                default -> "float" + 8 * bytes;
            };
        }

        Values values(Path file, long[] shape, ByteBuffer b, int n) throws IOException {
            if (kind == 'f') {
                double[] v = new double[n];
                for (int i = 0; i < n; i++) {
                    v[i] = switch (bytes) {
                        case 2 -> Float.float16ToFloat(b.getShort());
                        case 4 -> b.getFloat();
                        default -> b.getDouble();
                    };
                }
                return new Values(file.toString(), Values.Kind.FLOAT, name(), shape, null, v);
            }
            long[] v = new long[n];
            for (int i = 0; i < n; i++) {
                v[i] = switch (bytes) {
                    case 1 -> kind == 'i' ? b.get() : b.get() & 0xffL;
                    case 2 -> kind == 'i' ? b.getShort() : b.getShort() & 0xffffL;
                    case 4 -> kind == 'i' ? b.getInt() : b.getInt() & 0xffffffffL;
                    default -> b.getLong();
                };
                if (kind == 'b' && v[i] > 1) {
                    throw new IOException(
                            file + ": bool value " + v[i] + " (not 0 or 1) at " + Values.position(shape, i));
                }
                if (kind == 'u' && bytes == 8 && v[i] < 0) {
                    throw new IOException(file + ": value " + Long.toUnsignedString(v[i]) + " at "
                            + Values.position(shape, i) + " is over 2^63 - 1: too large for any input elfz gives");
                }
            }
            return new Values(
                    file.toString(), kind == 'b' ? Values.Kind.BOOL : Values.Kind.INT, name(), shape, v, null);
        }
    }

    /** The header dict: {'descr': '<i8', 'fortran_order': False, 'shape': (1, 8), } padded with spaces. */
    private record Header(Dtype dtype, long[] shape) {

        static Header parse(Path file, String text) throws IOException {
            Map<String, Object> dict = new Literal(file, text.strip()).dict();
            if (!dict.keySet().equals(Set.of("descr", "fortran_order", "shape"))) {
                throw bad(file, "header keys " + dict.keySet() + ", expected descr, fortran_order and shape");
            }
            if (!(dict.get("descr") instanceof String descr)) {
                throw bad(
                        file,
                        "descr is " + dict.get("descr") + ", not a type string (structured dtypes are not "
                                + "supported)");
            }
            if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
                throw bad(file, "fortran_order is not True or False");
            }
            if (fortran) {
                throw new IOException(file + ": Fortran order is not supported: save np.ascontiguousarray(x)");
            }
            if (!(dict.get("shape") instanceof long[] shape)) {
                throw bad(file, "shape is not a tuple of integers");
            }
            return new Header(Dtype.of(file, descr), shape);
        }
    }

    /** The few Python literals a header holds: a dict of str keys, str, True/False and tuples of ints. */
    private static final class Literal {
        private final Path file;
        private final String s;
        private int at;

        Literal(Path file, String s) {
            this.file = file;
            this.s = s;
        }

        Map<String, Object> dict() throws IOException {
            Map<String, Object> d = new LinkedHashMap<>();
            expect('{');
            while (!peek('}')) {
                String key = string();
                expect(':');
                if (d.put(key, value()) != null) {
                    throw fail("key '" + key + "' twice");
                }
                if (!peek('}')) {
                    expect(',');
                }
            }
            expect('}');
            if (at != s.length()) {
                throw fail("text after the dict");
            }
            return d;
        }

        private Object value() throws IOException {
            space();
            if (s.startsWith("True", at) || s.startsWith("False", at)) {
                boolean v = s.startsWith("True", at);
                at += v ? 4 : 5;
                return v;
            }
            if (peek('(')) {
                return tuple();
            }
            if (peek('\'') || peek('"')) {
                return string();
            }
            throw fail("unexpected value");
        }

        private long[] tuple() throws IOException {
            expect('(');
            List<Long> v = new ArrayList<>();
            while (!peek(')')) {
                int from = at;
                while (at < s.length() && Character.isDigit(s.charAt(at))) {
                    at++;
                }
                try {
                    v.add(Long.parseLong(s.substring(from, at)));
                } catch (NumberFormatException e) {
                    throw fail("a dimension that is not a non-negative integer");
                }
                if (!peek(')')) {
                    expect(',');
                }
            }
            expect(')');
            return v.stream().mapToLong(Long::longValue).toArray();
        }

        private String string() throws IOException {
            space();
            char q = at < s.length() ? s.charAt(at) : 0;
            int end = q == '\'' || q == '"' ? s.indexOf(q, at + 1) : -1;
            if (end < 0) {
                throw fail("expected a quoted string");
            }
            String v = s.substring(at + 1, end);
            at = end + 1;
            return v;
        }

        private boolean peek(char c) {
            space();
            return at < s.length() && s.charAt(at) == c;
        }

        private void expect(char c) throws IOException {
            if (!peek(c)) {
                throw fail("expected '" + c + "'");
            }
            at++;
        }

        private void space() {
            while (at < s.length() && Character.isWhitespace(s.charAt(at))) {
                at++;
            }
        }

        private IOException fail(String what) {
            return bad(file, "header " + what + " at character " + at + " of " + s);
        }
    }
}
