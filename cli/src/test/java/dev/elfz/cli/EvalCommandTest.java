package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.elfz.eval.NpyBytes;
import dev.elfz.onnx.OnnxBytes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * elfz eval on all-MiniLM-L6-v2: the --json fields, exact outputs when lossless, ids from its vocabulary, a real
 * sentence given as .npy and as JSON, usage errors.
 */
class EvalCommandTest {

    @TempDir
    Path dir;

    @Test
    void losslessGivesTheSameOutputsAndElfNearlySo() {
        Path model = OnnxBytes.miniLm(dir);
        JsonNode j = run("eval", model, "--codec", "lossless", "--samples", "2", "--json")
                .succeeds()
                .json();
        for (String f : new String[] {
            "model",
            "codec",
            "input_bytes",
            "compressed_bytes",
            "ratio",
            "samples",
            "sequence",
            "seed",
            "inputs",
            "outputs"
        }) {
            assertTrue(j.has(f), f + " in " + j);
        }
        assertEquals(
                "ids in [0, 30522): the rows of embeddings.word_embeddings.weight",
                j.get("inputs").get("input_ids").asText(),
                "ids from the whole vocabulary, not only [unused] tokens");
        assertEquals("ones (a mask)", j.get("inputs").get("attention_mask").asText());
        assertEquals(
                "zeros (token types)", j.get("inputs").get("token_type_ids").asText());
        JsonNode out = j.get("outputs").get(0);
        assertEquals("last_hidden_state", out.get("name").asText());
        assertEquals(1.0, out.get("cosine").asDouble(), 1e-12);
        assertEquals(0.0, out.get("max_abs_error").asDouble());
        assertEquals(1.0, out.get("argmax_agreement").asDouble());
        JsonNode elf = run("eval", model, "--samples", "2", "--json").succeeds().json();
        assertEquals("auto", elf.get("codec").asText());
        JsonNode hidden = elf.get("outputs").get(0);
        assertEquals("last_hidden_state", hidden.get("name").asText());
        // ELF moves each weight by at most 2^-24: the outputs move, but keep their direction (as DemoCommandTest)
        assertTrue(
                hidden.get("max_abs_error").asDouble() > 0
                        && hidden.get("max_abs_error").asDouble() < 1e-3,
                hidden.toString());
        assertTrue(hidden.get("cosine").asDouble() >= 0.9999, hidden.toString());
        assertEquals(List.of("all-minilm-l6-v2.onnx"), Cli.listing(dir), "nothing left beside the model");
    }

    /** "the cat sat on the mat" in BERT's uncased WordPiece, between [CLS] and [SEP]. */
    private static final long[] SENTENCE = {101, 1996, 4937, 2938, 2006, 1996, 13523, 102};

    @Test
    void givenInputsAsNpyAndJson() throws IOException {
        Path model = OnnxBytes.miniLm(dir);
        long[] shape = {1, SENTENCE.length};
        Path ids = NpyBytes.longs(dir.resolve("ids.npy"), shape, SENTENCE);
        Path mask = NpyBytes.longs(
                dir.resolve("mask.npy"),
                shape,
                LongStream.generate(() -> 1).limit(8).toArray());
        Path types = NpyBytes.longs(dir.resolve("types.npy"), shape, new long[8]);
        JsonNode lossless = run(
                        "eval",
                        model,
                        "--codec",
                        "lossless",
                        "--json",
                        "--input",
                        "input_ids=" + ids,
                        "--input",
                        "attention_mask=" + mask,
                        "--input",
                        "token_type_ids=" + types)
                .succeeds()
                .json();
        assertEquals(
                ids + ": int64 [1, 8]", lossless.get("inputs").get("input_ids").asText());
        JsonNode hidden = lossless.get("outputs").get(0);
        assertEquals("last_hidden_state", hidden.get("name").asText());
        assertEquals("[1,8,384]", hidden.get("shape").toString(), "the sentence's 8 tokens");
        assertEquals(1.0, hidden.get("cosine").asDouble(), 1e-12);
        assertEquals(0.0, hidden.get("max_abs_error").asDouble());
        Path idsJson = Files.writeString(dir.resolve("ids.json"), "[" + Arrays.toString(SENTENCE) + "]");
        Path maskJson = Files.writeString(dir.resolve("mask.json"), "[[1, 1, 1, 1, 1, 1, 1, 1]]");
        Path typesJson = Files.writeString(dir.resolve("types.json"), "[[0, 0, 0, 0, 0, 0, 0, 0]]");
        JsonNode elf = run(
                        "eval",
                        model,
                        "--json",
                        "--input",
                        "input_ids=" + idsJson,
                        "--input",
                        "attention_mask=" + maskJson,
                        "--input",
                        "token_type_ids=" + typesJson)
                .succeeds()
                .json();
        JsonNode h = elf.get("outputs").get(0);
        assertTrue(h.get("cosine").asDouble() >= 0.9999, h.toString());
        assertTrue(
                h.get("max_abs_error").asDouble() > 0 && h.get("max_abs_error").asDouble() < 1e-3, h.toString());
    }

    @Test
    void usageErrors() {
        run("eval", dir.resolve("m.safetensors")).usageError("MODEL must be an .onnx file");
        run("eval", dir.resolve("m.onnx"), "--samples", "0").usageError("must be positive");
    }
}
