package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.elfz.Dtype;
import dev.elfz.TestModels;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Quantization and pruning from the command line: the options reach the codecs, verify checks them, -v explains. */
class LossyCliTest {

    @TempDir
    Path dir;

    @Test
    void uniformGroupsWithPruningAcrossShards() throws IOException {
        Path model = Models.directory(dir, "model", 4);
        Path z = dir.resolve("model.elfz");
        Cli.Run c = run(
                        "compress",
                        "-v",
                        "--codec",
                        "uniform",
                        "--bits",
                        "4",
                        "--group-size",
                        "32",
                        "--prune",
                        "0.5",
                        "--min-elements",
                        "64",
                        model,
                        "-o",
                        z)
                .succeeds();
        assertTrue(c.err().contains("elfz: left as lossless: "), c.err()); // every left-out tensor is said, with why
        assertTrue(c.err().contains("(biases and norms stay as they are)"), c.err());
        JsonNode info =
                new ObjectMapper().readTree(run("info", "--json", z).succeeds().out());
        assertTrue(info.get("codecs").has("prune"), info.get("codecs").toString());
        Cli.Run v = run("verify", "--json", model, z).succeeds();
        JsonNode report = new ObjectMapper().readTree(v.out());
        assertTrue(report.get("ok").asBoolean());
        assertTrue(report.get("rmse").asDouble() > 0, v.out());
        boolean sawPruned = false;
        for (JsonNode check : report.get("checks")) {
            if (check.get("codec").asText().equals("prune")) {
                sawPruned = true;
                assertTrue(
                        check.get("max_error").asDouble() <= check.get("bound").asDouble() * 1.01, check.toString());
            }
        }
        assertTrue(sawPruned, v.out());
        run("decompress", "-q", z, "-o", dir.resolve("back")).succeeds();
    }

    @Test
    void eightBitsOnBertGiveTheSnrOfTheirStep() throws IOException {
        Path in = TestModels.bert(
                dir.resolve("bert.safetensors"), Dtype.F32, new long[] {512, 768}, new long[] {256, 768});
        Path z = dir.resolve("bert.elfz");
        run("compress", "-q", "--codec", "uniform", "--bits", "8", in, "-o", z).succeeds();
        JsonNode report = new ObjectMapper()
                .readTree(run("verify", "--json", in, z).succeeds().out());
        // rounding to a grid of step s = (max(hi, 0) - min(lo, 0)) / 255 leaves an error spread evenly over
        // [-s/2, s/2]: a mean square of s^2 / 12 per value
        double signal = 0;
        double noise = 0;
        try (SafetensorsFile f = SafetensorsFile.open(in)) {
            for (TensorInfo t : f.tensors()) {
                float[] x = f.data(t).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
                double lo = 0;
                double hi = 0;
                for (float v : x) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                    signal += (double) v * v;
                }
                double s = (hi - lo) / 255;
                noise += x.length * s * s / 12;
            }
        }
        double expected = 10 * Math.log10(signal / noise);
        assertEquals(expected, report.get("snr_db").asDouble(), 0.5, report.toString());
    }

    @Test
    void kmeansAndAnAbsoluteThreshold() throws IOException {
        Path in = Models.file(dir, "m.safetensors", 2);
        Path z = dir.resolve("m.elfz");
        run(
                        "compress",
                        "-q",
                        "--codec",
                        "kmeans",
                        "--bits",
                        "3",
                        "--prune-threshold",
                        "0.02",
                        "--min-elements",
                        "64",
                        in,
                        "-o",
                        z)
                .succeeds();
        Cli.Run v = run("verify", in, z).succeeds();
        assertTrue(
                v.out()
                        .lines()
                        .anyMatch(l -> l.startsWith("tensor half ") && l.contains(" prune ") && l.endsWith(" ok")),
                v.out());
        assertEquals(0, run("verify", "-q", in, z).code());
    }
}
