package dev.elfz.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hub on HDFS (a MiniDFSCluster: a name node and a data node in this JVM): the tasks copy each file to their local
 * disk, and the report and the archives are those of the single-machine commands on the same files.
 */
class SparkHdfsTest {

    @TempDir
    static Path dir;

    static MiniDFSCluster dfs;
    static SparkSession spark;
    static Path tunes;
    static String hub;

    @BeforeAll
    static void start() throws Exception {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.resolve("dfs").toString());
        dfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        dfs.waitActive();
        spark = Hubs.spark(Files.createDirectories(dir.resolve("scratch")));
        tunes = Hubs.tunes(dir.resolve("tunes"));
        FileSystem fs = dfs.getFileSystem();
        fs.copyFromLocalFile(HdfsPaths.of(tunes.toUri()), HdfsPaths.of("/hub"));
        hub = fs.getUri() + "/hub";
    }

    @AfterAll
    static void stop() {
        spark.stop();
        dfs.shutdown();
    }

    private static String read(String uri) throws Exception {
        try (InputStream in = dfs.getFileSystem().open(HdfsPaths.of(uri))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aHubOnHdfsGivesTheSingleMachineReport() throws Exception {
        String report = dfs.getFileSystem().getUri() + "/reports/tunes";
        List<Path> copiesBefore = copies();
        Main.run(spark, Main.Args.parse(new String[] {"analyze", hub, "-o", report}), System.out);
        // the report names the files by their HDFS address
        JsonNode actual = Json.MAPPER.readTree(read(report + "/report.json").replace(hub, tunes.toString()));
        JsonNode expected = Json.MAPPER.readTree(Hubs.elfz("analyze", "--json", tunes.toString()));
        assertEquals(5, actual.get("files").size());
        assertTrue(actual.get("pairs").size() >= 2, actual.get("pairs").toString());
        Hubs.assertSameReport(expected, actual);
        assertEquals(copiesBefore, copies()); // the tasks' local copies are gone
    }

    /** Hub.Local's name for a copy (the scratch directory may be a shared /tmp). */
    private static final Pattern COPY = Pattern.compile("elfz-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}");

    /** The local copies of remote files in the tasks' scratch directory. */
    private static List<Path> copies() throws Exception {
        try (var s = Files.list(Hub.scratch())) {
            return s.filter(p -> COPY.matcher(p.getFileName().toString()).matches())
                    .sorted()
                    .toList();
        }
    }

    @Test
    void everyModelOnHdfsAsElfzCompressMakesIt() throws Exception {
        String out = dfs.getFileSystem().getUri() + "/out";
        Main.Args a = Main.Args.parse(new String[] {"compress", hub, "-o", out, "--codec", "lossless"});
        CompressJob.run(spark, a.hub, a.out, a.codecs);
        for (String m : List.of("a-base", "b-tune1", "d-other")) {
            Path expected = dir.resolve(m + ".elfz");
            Hubs.elfz(
                    "compress",
                    "-q",
                    "--codec",
                    "lossless",
                    tunes.resolve(m + ".safetensors").toString(),
                    "-o",
                    expected.toString());
            try (InputStream in = dfs.getFileSystem().open(HdfsPaths.of(out + "/" + m + ".safetensors.elfz"))) {
                assertArrayEquals(Files.readAllBytes(expected), in.readAllBytes(), m);
            }
        }
    }
}
