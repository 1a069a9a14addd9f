package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.elfz.onnx.OnnxBytes;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** elfz sweep on all-MiniLM-L6-v2: every setting measured, the families' trends, the picture, usage errors. */
class SweepCommandTest {

    @TempDir
    Path dir;

    @Test
    void everySettingIsMeasuredAndDrawn() throws Exception {
        Path model = OnnxBytes.miniLm(dir);
        Path png = dir.resolve("sweep.png");
        JsonNode j = run("sweep", model, "--samples", "2", "--plot", png, "--json")
                .succeeds()
                .json();
        JsonNode points = j.get("points");
        assertEquals(SweepCommand.settings().size(), points.size());
        Map<String, List<JsonNode>> byFamily = new LinkedHashMap<>();
        points.forEach(p -> byFamily.computeIfAbsent(p.get("family").asText(), k -> new ArrayList<>())
                .add(p));
        assertEquals(
                List.of("elf", "error bound", "uniform per channel", "k-means", "pruning + elf"),
                List.copyOf(byFamily.keySet()));
        JsonNode elf = byFamily.get("elf").getFirst();
        assertTrue(elf.get("cosine").asDouble() >= 0.9999, elf.toString());
        assertTrue(elf.get("ratio").asDouble() > 1.4, elf.toString());
        for (List<JsonNode> family : byFamily.values()) { // from the mildest setting to the strongest
            for (int i = 1; i < family.size(); i++) {
                assertTrue(
                        family.get(i).get("ratio").asDouble()
                                > family.get(i - 1).get("ratio").asDouble(),
                        "the ratio grows along " + family);
            }
        }
        List<JsonNode> bounds = byFamily.get("error bound");
        assertTrue(
                bounds.getFirst().get("cosine").asDouble()
                        > bounds.getLast().get("cosine").asDouble(),
                "a looser bound changes the output more: " + bounds);
        assertTrue(bounds.getLast().get("max_abs_error").asDouble() > 0);
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(1000, image.getWidth());
        assertEquals(List.of("all-minilm-l6-v2.onnx", "sweep.png"), Cli.listing(dir), "no temporaries left");
    }

    @Test
    void usageErrors() {
        run("sweep", dir.resolve("m.safetensors")).usageError("MODEL must be an .onnx file");
        run("sweep", dir.resolve("m.onnx"), "--plot", dir.resolve("s.jpg")).usageError("only .png and .svg");
    }
}
