package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static dev.elfz.onnx.OnnxBytes.intAttribute;
import static dev.elfz.onnx.OnnxBytes.node;
import static dev.elfz.onnx.OnnxBytes.tensor;
import static dev.elfz.onnx.OnnxBytes.valueInfo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.elfz.eval.NpyBytes;
import dev.elfz.onnx.OnnxBytes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The inputs of eval and sweep on tiny models ONNX Runtime runs in milliseconds: --input files, every bad one
 * refused before any work (exit 1, one line naming the file, nothing printed or left), ids from the embedding
 * table, the fallback without one.
 */
class EvalInputTest {

    @TempDir
    Path dir;

    private static final int FLOAT = 1;
    private static final int INT64 = 7;
    private static final int BOOL = 9;

    /**
     * input_ids INT64 [batch, sequence] -> Gather over a [50, 4] table; attention_mask BOOL [batch, sequence] ->
     * Cast to FLOAT; scale FLOAT [2] -> Mul by a weight.
     */
    private Path tiny() throws IOException {
        OnnxBytes g = new OnnxBytes()
                .message(1, node("Gather", List.of("table", "input_ids"), "embedded"))
                .message(1, node("Cast", List.of("attention_mask"), "mask").message(5, intAttribute("to", FLOAT)))
                .message(1, node("Mul", List.of("scale", "w"), "scaled"))
                .string(2, "tiny")
                .message(5, tensor("table", FLOAT, 50, 4).bytes(9, OnnxBytes.floats(OnnxBytes.weights(200, 1))))
                .message(5, tensor("w", FLOAT, 2).bytes(9, OnnxBytes.floats(0.5f, -0.25f)))
                .message(11, valueInfo("input_ids", INT64, "batch", "sequence"))
                .message(11, valueInfo("attention_mask", BOOL, "batch", "sequence"))
                .message(11, valueInfo("scale", FLOAT, 2))
                .message(12, valueInfo("embedded", FLOAT, "batch", "sequence", 4))
                .message(12, valueInfo("mask", FLOAT, "batch", "sequence"))
                .message(12, valueInfo("scaled", FLOAT, 2));
        return Files.write(dir.resolve("tiny.onnx"), OnnxBytes.model(g));
    }

    /** ids INT64 [batch, sequence] -> Cast to FLOAT -> Mul by a weight: no Gather. */
    private Path noTable() throws IOException {
        OnnxBytes g = new OnnxBytes()
                .message(1, node("Cast", List.of("ids"), "f").message(5, intAttribute("to", FLOAT)))
                .message(1, node("Mul", List.of("f", "w"), "y"))
                .string(2, "plain")
                .message(5, tensor("w", FLOAT, 1).bytes(9, OnnxBytes.floats(0.5f)))
                .message(11, valueInfo("ids", INT64, "batch", "sequence"))
                .message(12, valueInfo("y", FLOAT, "batch", "sequence"));
        return Files.write(dir.resolve("plain.onnx"), OnnxBytes.model(g));
    }

    private Path text(String name, String json) throws IOException {
        return Files.writeString(dir.resolve(name), json);
    }

    /** The tiny model's three inputs: ids as .npy, mask and scale as JSON. */
    private List<Object> goodInputs() throws IOException {
        return List.of(
                "--input",
                "input_ids=" + NpyBytes.longs(dir.resolve("ids.npy"), new long[] {1, 3}, 1, 49, 0),
                "--input",
                "attention_mask=" + text("mask.json", "[[true, true, false]]"),
                "--input",
                "scale=" + text("scale.json", "[1.5, -2]"));
    }

    private static Object[] args(List<Object> head, List<Object> inputs, Object... tail) {
        List<Object> all = new ArrayList<>(head);
        all.addAll(inputs);
        all.addAll(List.of(tail));
        return all.toArray();
    }

    @Test
    void givenInputsAreOneSampleReportedByFile() throws IOException {
        Path model = tiny();
        List<Object> in = goodInputs();
        JsonNode j = run(args(List.of("eval", model, "--codec", "lossless", "--json"), in))
                .succeeds()
                .json();
        assertEquals(1, j.get("samples").asInt());
        assertFalse(j.has("sequence") || j.has("seed") || j.has("max_id"), j.toString());
        assertEquals(
                dir.resolve("ids.npy") + ": int64 [1, 3]",
                j.get("inputs").get("input_ids").asText());
        assertEquals(
                dir.resolve("mask.json") + ": bool [1, 3]",
                j.get("inputs").get("attention_mask").asText());
        assertEquals(
                dir.resolve("scale.json") + ": float [2]",
                j.get("inputs").get("scale").asText());
        List<String> names = new ArrayList<>();
        j.get("outputs").forEach(o -> {
            names.add(o.get("name").asText());
            assertEquals(1.0, o.get("cosine").asDouble(), 1e-12, o.toString());
            assertEquals(0.0, o.get("max_abs_error").asDouble(), o.toString());
        });
        assertEquals(List.of("embedded", "mask", "scaled"), names);
        assertEquals("[1,3,4]", j.get("outputs").get(0).get("shape").toString(), "the file's shape");
        Cli.Run text = run(args(List.of("eval", model), in)).succeeds();
        assertTrue(text.out().contains("1 sample from the --input files"), text.out());
        assertTrue(text.out().contains("  input_ids       " + dir.resolve("ids.npy") + ": int64 [1, 3]"), text.out());
        JsonNode sweep =
                run(args(List.of("sweep", model, "--json"), in)).succeeds().json();
        assertEquals(SweepCommand.settings().size(), sweep.get("points").size());
        assertEquals(
                dir.resolve("ids.npy") + ": int64 [1, 3]",
                sweep.get("inputs").get("input_ids").asText());
    }

    @Test
    void generatedIdsStayInsideTheEmbeddingTable() throws IOException {
        Path model = tiny();
        JsonNode j = run("eval", model, "--codec", "lossless", "--samples", "2", "--json")
                .succeeds()
                .json();
        assertEquals(
                "ids in [0, 50): the rows of table",
                j.get("inputs").get("input_ids").asText());
        assertEquals("ones (a mask)", j.get("inputs").get("attention_mask").asText());
        assertEquals("Gaussian (seeded)", j.get("inputs").get("scale").asText());
        assertFalse(j.has("max_id"), j.toString());
        JsonNode given =
                run("eval", model, "--max-id", "7", "--json").succeeds().json();
        assertEquals(7, given.get("max_id").asInt());
        assertEquals(
                "ids in [0, 7) (--max-id)", given.get("inputs").get("input_ids").asText());
        // the old default, 1000, runs past the table: ONNX Runtime refuses it, in one line
        run("eval", model, "--max-id", "1000").failsWith(model.toString(), "ONNX Runtime");
        JsonNode plain = run("eval", noTable(), "--json").succeeds().json();
        assertEquals(
                "ids in [0, 1000): no embedding table found for it (--max-id sets the range)",
                plain.get("inputs").get("ids").asText());
        Cli.Run text = run("eval", noTable()).succeeds();
        assertTrue(text.out().contains("4 inputs, dynamic dimensions 16"), text.out());
        assertTrue(text.out().contains("  ids  ids in [0, 1000): no embedding table found"), text.out());
    }

    /** Fails with exit 1 and one line holding every part, prints nothing on stdout, leaves dir as it was. */
    private void refused(List<Object> inputs, String... parts) throws IOException {
        Path model = dir.resolve("tiny.onnx");
        List<String> before = Cli.listing(dir);
        Cli.Run r = run(args(List.of("eval", model), inputs)).failsWith(parts);
        assertEquals("", r.out());
        assertEquals(before, Cli.listing(dir), "nothing written");
    }

    /** The good inputs with one replaced. */
    private List<Object> with(String name, Object file) throws IOException {
        List<Object> in = new ArrayList<>(goodInputs());
        int at = in.indexOf(in.stream()
                .filter(a -> a.toString().startsWith(name + "="))
                .findFirst()
                .orElseThrow());
        in.set(at, name + "=" + file);
        return in;
    }

    @Test
    void everyBadInputIsOneLineNamingTheFile() throws IOException {
        tiny();
        Path none = dir.resolve("none.npy");
        refused(with("input_ids", none), none + ": no such file or directory");
        Path header = NpyBytes.write(dir.resolve("header.npy"), 1, "{'descr': '<i8', 'shape': (1, 3), }", new byte[24]);
        refused(with("input_ids", header), header + ": bad .npy file: header keys [descr, shape]");
        Path floats =
                NpyBytes.write(dir.resolve("floats.npy"), 1, NpyBytes.dict("<f4", new long[] {1, 3}), new byte[12]);
        refused(with("input_ids", floats), floats + ": float32 values, but input input_ids is INT64: give integers");
        Path ragged = text("ragged.json", "[[1, 2], [3]]");
        refused(with("input_ids", ragged), ragged + ": ragged array: [1] has 1 elements, expected 2");
        Path flat = text("flat.json", "[1, 2, 3]");
        refused(with("input_ids", flat), flat + ": shape [3], but input input_ids is [batch, sequence]");
        Path three = text("three.json", "[1, 2, 3]");
        refused(with("scale", three), three + ": shape [3], but input scale is [2]");
        Path longer = text("longer.json", "[[true, true, true, true]]");
        refused(
                with("attention_mask", longer),
                longer + ": dimension 1 (sequence) is 4, but " + dir.resolve("ids.npy") + " gives sequence = 3");
        Path two = text("two.json", "[[1, 2, 0]]");
        refused(
                with("attention_mask", two),
                two + ": value 2 at [0, 1] is out of range for BOOL [0, 1] (input " + "attention_mask)");
        Path big = text("big.json", "[[1, 50000000000000000000, 0]]");
        refused(with("input_ids", big), big + ": value 50000000000000000000 at [0, 1] does not fit in 64 bits");
        Path txt = text("ids.txt", "1 2 3");
        refused(with("input_ids", txt), txt + ": not a .npy or .json file");
        Path model = dir.resolve("tiny.onnx");
        List<Object> unknown = new ArrayList<>(goodInputs());
        unknown.addAll(List.of("--input", "token_type_ids=" + dir.resolve("ids.npy")));
        refused(
                unknown,
                model + ": no input named token_type_ids (--input token_type_ids=" + dir.resolve("ids.npy")
                        + "); its inputs: input_ids, attention_mask, scale");
        refused(
                List.of("--input", "input_ids=" + dir.resolve("ids.npy")),
                model + ": --input missing for attention_mask, scale: give every input of the model, or none");
    }

    @Test
    void generationOptionsAreRefusedWithInput() throws IOException {
        Path model = tiny();
        run(args(List.of("eval", model), goodInputs(), "--samples", "2", "--max-id", "9"))
                .usageError("--samples, --max-id generate inputs: not with --input");
        run(args(List.of("sweep", model), goodInputs(), "--seed", "2"))
                .usageError("--seed generate inputs: not with --input");
        run("eval", model, "--max-id", "0").usageError("must be positive");
        run("eval", model, "--input", "ids").usageError("--input");
        run(args(List.of("eval", model), goodInputs(), "--input", "scale=" + dir.resolve("mask.json")))
                .usageError("--input scale given twice");
    }
}
