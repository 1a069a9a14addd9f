package dev.elfz.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged .npy and JSON input files, thousands of them (a byte changed, or the file cut short): each is one
 * IOException naming the file, never another exception, or reads as what it says: a .npy file the shape and values its
 * header describes (worked out here from the header's text and the bytes after it), a JSON file its numbers in order.
 */
class NpyFuzzTest {

    @TempDir
    Path dir;

    @Test
    void everyDamagedInputFileReadsOrIsOneIOException() throws IOException {
        byte[] npy = Files.readAllBytes(NpyBytes.longs(dir.resolve("good.npy"), new long[] {2, 3}, 1, 2, 3, 4, 5, 6));
        byte[] json = "[[101, 1996, 4937], [0.5, true, -3]]".getBytes(StandardCharsets.UTF_8);
        SplittableRandom r = new SplittableRandom(7);
        int refused = 0;
        int read = 0;
        for (int m = 0; m < 4000; m++) {
            boolean isNpy = m % 2 == 0;
            byte[] good = isNpy ? npy : json;
            byte[] bad = good.clone();
            int at = r.nextInt(good.length);
            if (r.nextInt(3) == 0) {
                bad = Arrays.copyOf(good, at);
            } else {
                bad[at] = (byte) r.nextInt(256);
            }
            Path p = Files.write(dir.resolve(isNpy ? "m.npy" : "m.json"), bad);
            try {
                Values v = isNpy ? NpyReader.read(p) : JsonArrays.read(p);
                read++;
                assertEquals(
                        isNpy ? described(bad) : numbers(bad), values(v), "mutant " + m + " of " + p.getFileName());
                assertEquals(Arrays.stream(v.shape()).reduce(1, (a, b) -> a * b), v.count(), "the shape's count");
            } catch (IOException e) {
                refused++;
                assertTrue(
                        e.getMessage().startsWith(p.toString())
                                && !e.getMessage().contains("\n"),
                        e.getMessage());
            } catch (RuntimeException | Error e) {
                fail("mutant " + m + " of " + p.getFileName() + ": " + e, e);
            }
        }
        assertTrue(refused > 1000 && read > 100, "most damage is caught: " + refused + ", " + read + " read");
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern DESCR = Pattern.compile("['\"]descr['\"]\\s*:\\s*['\"]([<>|=]?)([biuf])(\\d+)['\"]");
    private static final Pattern SHAPE = Pattern.compile("['\"]shape['\"]\\s*:\\s*\\(([^)]*)\\)");

    /** The shape, then every value as a double, that a .npy file's header says its bytes hold (version 1). */
    private static List<Double> described(byte[] npy) {
        int length = ByteBuffer.wrap(npy, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
        String header = new String(npy, 10, length, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher s = SHAPE.matcher(header);
        assertTrue(d.find() && s.find(), "a header that parsed: " + header);
        List<Double> out = new ArrayList<>();
        for (String dim : s.group(1).split(",")) {
            if (!dim.isBlank()) {
                out.add(Double.valueOf(dim.strip()));
            }
        }
        ByteBuffer b = ByteBuffer.wrap(npy, 10 + length, npy.length - 10 - length)
                .slice()
                .order(d.group(1).equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        char kind = d.group(2).charAt(0);
        int size = Integer.parseInt(d.group(3));
        while (b.remaining() >= size) {
            out.add(
                    switch (kind) {
                        case 'f' ->
                            size == 2
                                    ? (double) Float.float16ToFloat(b.getShort())
                                    : size == 4 ? b.getFloat() : b.getDouble();
                        case 'b' -> b.get() != 0 ? 1.0 : 0.0;
                        case 'u' ->
                            size == 1
                                    ? b.get() & 0xff
                                    : size == 2
                                            ? b.getShort() & 0xffff
                                            : size == 4
                                                    ? b.getInt() & 0xffffffffL
                                                    : Double.parseDouble(Long.toUnsignedString(b.getLong()));
                        default ->
                            size == 1
                                    ? b.get()
                                    : size == 2 ? b.getShort() : size == 4 ? b.getInt() : (double) b.getLong();
                    });
        }
        return out;
    }

    /** The shape, then every number in order (true as 1), of a JSON nested array, as Jackson reads it. */
    private static List<Double> numbers(byte[] json) throws IOException {
        JsonNode root = JSON.readTree(json);
        List<Double> out = new ArrayList<>();
        for (JsonNode n = root; n.isArray(); n = n.isEmpty() ? MissingNode.getInstance() : n.get(0)) {
            out.add((double) n.size());
        }
        flatten(root, out);
        return out;
    }

    private static void flatten(JsonNode n, List<Double> out) {
        if (n.isArray()) {
            n.forEach(e -> flatten(e, out));
        } else {
            out.add(n.isBoolean() ? (n.asBoolean() ? 1.0 : 0.0) : n.asDouble());
        }
    }

    /** The shape, then the values, of what was read. */
    private static List<Double> values(Values v) {
        List<Double> out = new ArrayList<>();
        Arrays.stream(v.shape()).forEach(d -> out.add((double) d));
        if (v.floats() != null) {
            Arrays.stream(v.floats()).forEach(out::add);
        } else {
            Arrays.stream(v.ints()).forEach(x -> out.add((double) x));
        }
        return out;
    }
}
