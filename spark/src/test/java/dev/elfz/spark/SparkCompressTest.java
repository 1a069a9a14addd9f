package dev.elfz.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** elfz-spark compress writes, per model, the archive elfz compress writes; reruns and retries finish the rest. */
class SparkCompressTest {

    @TempDir
    static Path dir;

    static SparkSession spark;
    static Path zoo;

    static final List<String> MODELS = List.of("alpha", "beta", "delta", "epsilon.pt", "gamma");

    @BeforeAll
    static void start() throws Exception {
        spark = Hubs.spark(Files.createDirectories(dir.resolve("scratch")));
        zoo = Hubs.zoo(dir.resolve("zoo"));
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static List<CompressJob.Done> compress(Path out, String... options) throws Exception {
        List<String> args = new ArrayList<>(
                List.of("compress", zoo.toUri().toString(), "-o", out.toUri().toString()));
        args.addAll(List.of(options));
        Main.Args a = Main.Args.parse(args.toArray(String[]::new));
        return CompressJob.run(spark, a.hub, a.out, a.codecs);
    }

    private static void assertSameAsElfz(Path out, String model, String... options) throws Exception {
        Path expected = dir.resolve("single-" + out.getFileName() + "-" + model + ".elfz");
        List<String> args =
                new ArrayList<>(List.of("compress", "-q", zoo.resolve(model).toString(), "-o", expected.toString()));
        args.addAll(List.of(options));
        Hubs.elfz(args.toArray(String[]::new));
        assertArrayEquals(Files.readAllBytes(expected), Files.readAllBytes(out.resolve(model + ".elfz")), model);
    }

    private static List<String> names(Path out) throws Exception {
        try (Stream<Path> s = Files.list(out)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void everyModelAsElfzCompressMakesIt() throws Exception {
        Path out = dir.resolve("out");
        List<CompressJob.Done> done = compress(out);
        assertEquals(MODELS.size(), done.size());
        for (String m : MODELS) {
            assertSameAsElfz(out, m);
        }
        List<Row> manifest = spark.read()
                .parquet(out.resolve("_manifest").toString())
                .orderBy("model")
                .collectAsList();
        assertEquals(MODELS.size(), manifest.size());
        Row alpha = manifest.get(0);
        assertEquals(2, alpha.getInt(alpha.fieldIndex("files")));
        assertEquals(Files.size(out.resolve("alpha.elfz")), alpha.getLong(alpha.fieldIndex("compressed_bytes")));
    }

    @Test
    void codecOptionsAreCompresssOptions() throws Exception {
        Path out = dir.resolve("lossless");
        compress(out, "--codec", "lossless");
        assertSameAsElfz(out, "beta", "--codec", "lossless");
    }

    /** A rerun compresses only the models without an archive; the manifest keeps every model. */
    @Test
    void aRerunFinishesTheRest() throws Exception {
        Path out = dir.resolve("rerun");
        compress(out);
        Files.delete(out.resolve("gamma.elfz"));
        long before = Files.getLastModifiedTime(out.resolve("alpha.elfz")).toMillis();
        List<CompressJob.Done> done = compress(out);
        assertEquals(
                List.of("gamma"),
                done.stream()
                        .map(d -> Path.of(d.model()).getFileName().toString())
                        .toList());
        assertEquals(
                before, Files.getLastModifiedTime(out.resolve("alpha.elfz")).toMillis());
        assertSameAsElfz(out, "gamma");
        assertEquals(
                MODELS.size(),
                spark.read().parquet(out.resolve("_manifest").toString()).count());
    }

    /** The first attempt of beta's task dies after writing its archive under the temporary name: the retry's counts. */
    @Test
    void aTaskThatDiesAndIsRetriedLeavesNoPartialArchive() throws Exception {
        Path out = dir.resolve("retry");
        spark.conf().set(CompressJob.FAIL_MODEL, "beta");
        try {
            compress(out);
        } finally {
            spark.conf().unset(CompressJob.FAIL_MODEL);
        }
        assertSameAsElfz(out, "beta");
        List<String> names = names(out);
        assertEquals(
                List.of("_manifest", "alpha.elfz", "beta.elfz", "delta.elfz", "epsilon.pt.elfz", "gamma.elfz"), names);
        assertTrue(names.stream().noneMatch(n -> n.contains(".tmp")), names.toString());
    }
}
