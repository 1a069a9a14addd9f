package dev.elfz.onnx;

import static dev.elfz.onnx.OnnxBytes.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which embedding table a graph input indexes: crafted graphs and all-MiniLM-L6-v2. */
class OnnxGraphTest {

    @TempDir
    Path dir;

    private static final int FLOAT = 1;
    private static final int INT64 = 7;

    private Path model(OnnxBytes graph) throws IOException {
        return Files.write(dir.resolve("g.onnx"), OnnxBytes.model(graph));
    }

    @Test
    void aGatherDirectlyOrThroughShapeOnlyOps() throws IOException {
        OnnxBytes g = new OnnxBytes()
                .message(1, node("Gather", List.of("words", "ids"), "e"))
                .message(1, node("Cast", List.of("other"), "c"))
                .message(1, node("Unsqueeze", List.of("c", "axes"), "u"))
                .message(1, node("Gather", List.of("small", "u"), "s"))
                .message(1, node("Gather", List.of("words", "u"), "w"))
                .message(
                        1,
                        node("Gather", List.of("columns", "wide"), "x").message(5, OnnxBytes.intAttribute("axis", -1)))
                .message(1, node("Add", List.of("plus", "one"), "p"))
                .message(1, node("Gather", List.of("words", "p"), "q"))
                .message(1, node("Gather", List.of("notATable", "loose"), "r"))
                .string(2, "crafted")
                .message(5, OnnxBytes.tensor("words", FLOAT, 100, 8))
                .message(5, OnnxBytes.tensor("small", FLOAT, 7, 8))
                .message(5, OnnxBytes.tensor("columns", FLOAT, 3, 99))
                .message(5, OnnxBytes.tensor("axes", INT64, 1));
        for (String in : new String[] {"ids", "other", "wide", "plus", "loose"}) {
            g.message(11, OnnxBytes.valueInfo(in, INT64, "batch", "sequence"));
        }
        Map<String, OnnxGraph.Table> t = OnnxGraph.indexedTables(model(g));
        assertEquals(
                Map.of(
                        "ids",
                        new OnnxGraph.Table("words", 100),
                        "other",
                        new OnnxGraph.Table("small", 7), // the smallest of the two tables it reaches
                        "wide",
                        new OnnxGraph.Table("columns", 99)),
                t,
                "not through Add, not a non-initializer");
    }

    @Test
    void onnxRuntimesFusedEmbeddingIndexesItsTables() throws IOException {
        // com.microsoft EmbedLayerNormalization: input_ids, segment_ids, word, position, segment embeddings, gamma,
        // beta
        OnnxBytes g = new OnnxBytes()
                .message(
                        1,
                        node(
                                "EmbedLayerNormalization",
                                List.of(
                                        "input_ids",
                                        "segment_ids",
                                        "word",
                                        "position",
                                        "segment",
                                        "gamma",
                                        "beta",
                                        "mask"),
                                "h"))
                .string(2, "fused")
                .message(5, OnnxBytes.tensor("word", FLOAT, 30522, 8))
                .message(5, OnnxBytes.tensor("position", FLOAT, 512, 8))
                .message(5, OnnxBytes.tensor("segment", FLOAT, 2, 8));
        for (String in : new String[] {"input_ids", "segment_ids", "mask"}) {
            g.message(11, OnnxBytes.valueInfo(in, INT64, "batch", "sequence"));
        }
        assertEquals(
                Map.of(
                        "input_ids",
                        new OnnxGraph.Table("word", 30522),
                        "segment_ids",
                        new OnnxGraph.Table("segment", 2)),
                OnnxGraph.indexedTables(model(g)),
                "the mask indexes nothing");
    }

    @Test
    void noGatherNoTable() throws IOException {
        OnnxBytes g = new OnnxBytes()
                .message(1, node("Cast", List.of("ids"), "f").message(5, OnnxBytes.intAttribute("to", FLOAT)))
                .string(2, "plain")
                .message(11, OnnxBytes.valueInfo("ids", INT64, 1, 4));
        assertEquals(Map.of(), OnnxGraph.indexedTables(model(g)));
    }

    @Test
    void notProtobufIsOneError() throws IOException {
        Path p = Files.write(dir.resolve("bad.onnx"), new byte[] {0x3a, 0x7f}); // graph of 127 bytes in 0
        OnnxException e = assertThrows(OnnxException.class, () -> OnnxGraph.indexedTables(p));
        assertTrue(e.getMessage().startsWith(p + ": malformed protobuf"), e.getMessage());
    }

    @Test
    void miniLmIdsIndexItsVocabulary() throws IOException {
        Map<String, OnnxGraph.Table> t = OnnxGraph.indexedTables(OnnxBytes.miniLm(dir));
        assertEquals(30522, t.get("input_ids").rows(), t.toString());
        assertEquals("embeddings.word_embeddings.weight", t.get("input_ids").name());
        assertEquals(2, t.get("token_type_ids").rows(), t.toString());
    }
}
