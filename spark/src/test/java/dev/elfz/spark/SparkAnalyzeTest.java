package dev.elfz.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** elfz-spark analyze gives what elfz analyze --json gives on the same files, through Spark's shuffles. */
class SparkAnalyzeTest {

    @TempDir
    static Path dir;

    static SparkSession spark;
    static Path zoo, many;

    @BeforeAll
    static void start() throws Exception {
        spark = Hubs.spark(Files.createDirectories(dir.resolve("scratch")));
        zoo = Hubs.zoo(dir.resolve("zoo"));
        many = Hubs.many(dir.resolve("many"), 40);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static JsonNode analyze(Path hub, Path report, String... options) throws Exception {
        List<String> args = new ArrayList<>(
                List.of("analyze", hub.toUri().toString(), "-o", report.toUri().toString()));
        args.addAll(List.of(options));
        Main.run(spark, Main.Args.parse(args.toArray(String[]::new)), System.out);
        return Json.MAPPER.readTree(report.resolve("report.json").toFile());
    }

    private static JsonNode single(Path hub) throws Exception {
        return Json.MAPPER.readTree(Hubs.elfz("analyze", "--json", hub.toString()));
    }

    /** Slices of 1 MiB: large files are cut into several tasks, tensors of 2 MiB straddle windows. */
    @Test
    void theZooGivesTheSingleMachineReport() throws Exception {
        JsonNode expected = single(zoo);
        JsonNode actual = analyze(zoo, dir.resolve("zoo-report"), "--slice", Long.toString(1 << 20));
        assertTrue(
                expected.get("total").get("duplication").get("duplicate_layers").asLong() > 0);
        assertTrue(expected.get("total").get("duplication").get("cdc_bytes").asLong() > 0);
        assertEquals(7, actual.get("files").size()); // notes.bin is no checkpoint
        assertEquals(7, actual.get("predictions").size()); // every mode, several files sampled
        Hubs.assertSameReport(expected, actual);
    }

    @Test
    void aHubOfManySmallModelsGivesTheSingleMachineReport() throws Exception {
        JsonNode expected = single(many);
        Path report = dir.resolve("many-report");
        JsonNode actual = analyze(many, report);
        assertEquals(40, actual.get("files").size());
        Hubs.assertSameReport(expected, actual);
        // the Parquet tables answer Spark SQL
        spark.read().parquet(report.resolve("dtypes").toString()).createOrReplaceTempView("dtypes");
        List<Row> f32 = spark.sql("SELECT layers, duplication.duplicate_layers FROM dtypes WHERE dtype = 'F32'")
                .collectAsList();
        assertEquals(40, f32.get(0).getLong(0));
        assertEquals(37, f32.get(0).getLong(1)); // three distinct shared tensors
        long repeated = spark.read()
                .parquet(report.resolve("repeated").toString())
                .where("kind = 3")
                .count();
        assertTrue(repeated >= 3, "repeated tensors " + repeated);
        assertEquals(
                40, spark.read().parquet(report.resolve("files").toString()).count());
    }

    /** Fine-tunes named with their base and --base ratio, as on one machine (the estimates run as Spark tasks). */
    @Test
    void fineTunesAreNamedAsOnOneMachine() throws Exception {
        Path tunes = Hubs.tunes(dir.resolve("tunes"));
        JsonNode expected = single(tunes);
        JsonNode actual = analyze(tunes, dir.resolve("tunes-report"));
        assertTrue(actual.get("pairs").size() >= 2, actual.get("pairs").toString());
        assertTrue(actual.get("pairs").get(0).get("base").asText().endsWith("a-base.safetensors"));
        assertEquals(1, actual.get("pairs").get(0).get("changed_tensors").asInt());
        Hubs.assertSameReport(expected, actual);
    }

    /** A slice's first attempt dies half-way through handing its fingerprints over: the retry's count is right. */
    @Test
    void aTaskThatDiesAndIsRetriedChangesNothing() throws Exception {
        JsonNode expected = single(zoo);
        spark.conf().set(AnalyzeJob.FAIL_SLICE, "2");
        try {
            JsonNode actual = analyze(zoo, dir.resolve("retry-report"), "--slice", Long.toString(1 << 20));
            Hubs.assertSameReport(expected, actual);
        } finally {
            spark.conf().unset(AnalyzeJob.FAIL_SLICE);
        }
    }
}
