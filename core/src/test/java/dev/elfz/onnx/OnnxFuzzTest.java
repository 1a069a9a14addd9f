package dev.elfz.onnx;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged models, thousands of them: a byte changed, inserted or dropped, the file cut short, in a model with inline
 * and external initializers and weights inside nodes (a Constant, an If's branch). Each is read as elfz reads models (OnnxFile, OnnxGraph): it parses, or it is one
 * OnnxException, never another exception, and a tensor it finds lies inside its file.
 */
class OnnxFuzzTest {

    private static final int MUTANTS = 3000;

    @TempDir
    Path dir;

    /** OnnxFileTest's crafted graph plus an initializer in the data file w.bin (offset 8, 24 bytes) and a Gather. */
    static byte[] model() {
        OnnxBytes external = OnnxBytes.tensor("ext", 1, 2, 3)
                .varint(14, 1)
                .message(13, new OnnxBytes().string(1, "location").string(2, "w.bin"))
                .message(13, new OnnxBytes().string(1, "offset").string(2, "8"))
                .message(13, new OnnxBytes().string(1, "length").string(2, "24"));
        byte[] weights = OnnxBytes.floats(OnnxBytes.weights(1024, 9)); // 4 KiB: nested tensors this size are taken
        OnnxBytes body = new OnnxBytes()
                .message(1, OnnxBytes.node("Identity", List.of("B"), "b"))
                .message(5, OnnxBytes.tensor("B", 1, 1024).bytes(9, weights));
        OnnxBytes g = OnnxFileTest.craftedGraph()
                .message(5, external)
                .message(1, OnnxBytes.node("Gather", List.of("w_raw", "x"), "z"))
                .message(
                        1,
                        OnnxBytes.node("Constant", List.of(), "c")
                                .message(
                                        5,
                                        new OnnxBytes()
                                                .string(1, "value")
                                                .message(
                                                        5,
                                                        OnnxBytes.tensor("", 1, 1024)
                                                                .bytes(9, weights))
                                                .varint(20, 4)))
                .message(
                        1,
                        OnnxBytes.node("If", List.of("cond"), "o")
                                .message(
                                        5,
                                        new OnnxBytes()
                                                .string(1, "then_branch")
                                                .message(6, body)
                                                .varint(20, 5)));
        return OnnxBytes.model(g);
    }

    @Test
    void everyDamagedModelParsesOrIsOneOnnxException() throws IOException {
        byte[] good = model();
        Files.write(dir.resolve("w.bin"), new byte[64]);
        Path p = dir.resolve("m.onnx");
        Files.write(p, good);
        try (OnnxFile f = OnnxFile.open(p)) {
            assertTrue(
                    f.dataFiles().size() == 1
                            && f.tensors().stream()
                                            .filter(t -> t.name().contains("#"))
                                            .count()
                                    == 2,
                    "the undamaged model reads, its nested weights too: " + f.tensors());
        }
        SplittableRandom r = new SplittableRandom(42);
        int refused = 0;
        for (int m = 0; m < MUTANTS; m++) {
            byte[] bad = mutate(good, r);
            Files.write(p, bad);
            try {
                try (OnnxFile f = OnnxFile.open(p)) {
                    f.tensors()
                            .forEach(t -> assertTrue(
                                    t.begin() >= 0 && t.end() <= bad.length && t.begin() <= t.end(), t.toString()));
                }
                OnnxGraph.indexedTables(p);
            } catch (OnnxException e) {
                refused++;
                assertTrue(
                        e.getMessage().startsWith(p.toString())
                                && !e.getMessage().contains("\n"),
                        e.getMessage());
            } catch (RuntimeException | Error e) {
                fail("mutant " + m + " (" + bad.length + " bytes): " + e, e);
            }
        }
        assertTrue(refused > MUTANTS / 4, "most damage is caught: " + refused + " of " + MUTANTS);
    }

    private static byte[] mutate(byte[] good, SplittableRandom r) {
        int at = r.nextInt(good.length);
        return switch (r.nextInt(4)) {
            case 0 -> { // a byte changed: often a length or a tag
                byte[] b = good.clone();
                b[at] = (byte) (r.nextBoolean() ? r.nextInt(256) : b[at] ^ (1 << r.nextInt(8)));
                yield b;
            }
            case 1 -> { // a byte inserted
                byte[] b = new byte[good.length + 1];
                System.arraycopy(good, 0, b, 0, at);
                b[at] = (byte) r.nextInt(256);
                System.arraycopy(good, at, b, at + 1, good.length - at);
                yield b;
            }
            case 2 -> { // a byte dropped
                byte[] b = new byte[good.length - 1];
                System.arraycopy(good, 0, b, 0, at);
                System.arraycopy(good, at + 1, b, at, good.length - at - 1);
                yield b;
            }
            default -> Arrays.copyOf(good, at); // cut short
        };
    }
}
