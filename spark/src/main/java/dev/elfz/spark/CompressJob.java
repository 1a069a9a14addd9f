package dev.elfz.spark;

import dev.elfz.CodecChoice;
import dev.elfz.Elfz;
import dev.elfz.ElfzArchive;
import dev.elfz.ElfzOptions;
import dev.elfz.ElfzTensor;
import dev.elfz.LossyOptions;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;
import scala.jdk.javaapi.CollectionConverters;

/**
 * {@code elfz-spark compress HUB -o OUT}: one .elfz per model of the hub (an entry right under it: a directory with
 * its files, or a single file), as {@code elfz compress MODEL -o OUT/NAME.elfz} makes it (the same library call), one
 * task per model. A task writes the archive under a temporary name ({@code .NAME.elfz.tmp-STAGE-TASK-ATTEMPT}) and
 * renames it: a failed or retried attempt never leaves a partial archive under the final name. Models whose archive
 * exists are skipped, so a rerun finishes the rest. OUT/_manifest is a Parquet table of the archives.
 */
final class CompressJob {

    /** Hook for the retry tests: the first attempt of this model's task fails after writing its temporary file. */
    static final String FAIL_MODEL = "spark.elfz.test.failModel";

    static final StructType MANIFEST = new StructType()
            .add("model", DataTypes.StringType, false)
            .add("archive", DataTypes.StringType, false)
            .add("files", DataTypes.IntegerType, false)
            .add("bytes", DataTypes.LongType, false)
            .add("compressed_bytes", DataTypes.LongType, false)
            .add("ratio", DataTypes.DoubleType, false)
            .add("codecs", DataTypes.createMapType(DataTypes.StringType, DataTypes.IntegerType), false)
            .add("seconds", DataTypes.DoubleType, false);

    /** The codec options of {@code elfz compress} that the job takes (null: compress's default). */
    record Codecs(String codec, Double errorBound, Integer bits, Double prune, Long chunkBytes)
            implements Serializable {
        ElfzOptions options(int threads) {
            ElfzOptions o = ElfzOptions.defaults().withThreads(threads);
            if (codec != null) {
                o = o.withCodec(CodecChoice.valueOf(codec.toUpperCase(Locale.ROOT)));
            }
            LossyOptions l = LossyOptions.NONE;
            if (bits != null) {
                l = l.withBits(bits);
            }
            if (prune != null) {
                l = l.withPruneFraction(prune);
            }
            o = o.withLossy(l);
            if (chunkBytes != null) {
                o = o.withChunkBytes(chunkBytes);
            }
            return errorBound != null ? o.withErrorBound(errorBound) : o;
        }
    }

    /** A manifest row. */
    record Done(
            String model,
            String archive,
            int files,
            long bytes,
            long compressedBytes,
            double ratio,
            Map<String, Integer> codecs,
            double seconds)
            implements Serializable {
        Row row() {
            return RowFactory.create(
                    model,
                    archive,
                    files,
                    bytes,
                    compressedBytes,
                    ratio,
                    CollectionConverters.asScala(codecs),
                    seconds);
        }
    }

    private CompressJob() {}

    /** The archive's name for a model: {@code elfz compress}'s default name ({@code NAME.elfz}). */
    static String archiveName(String model) {
        return HadoopPaths.name(model) + Elfz.SUFFIX;
    }

    /** Compresses the models without an archive under {@code out}; returns the rows of those done now. */
    static List<Done> run(SparkSession spark, String hub, String out, Codecs codecs) throws IOException {
        codecs.options(1); // a bad option fails here, before any task
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        SerializableConfiguration hadoop = new SerializableConfiguration(conf);
        FileSystem fs = Hub.fs(out, conf);
        var outDir = HadoopPaths.of(out);
        fs.mkdirs(outDir);
        Set<String> present = new HashSet<>();
        for (FileStatus s : fs.listStatus(outDir)) {
            present.add(s.getPath().getName());
        }
        List<String> todo = new ArrayList<>();
        for (String m : Hub.models(hub, conf)) {
            if (!present.contains(archiveName(m))) {
                todo.add(m);
            }
        }
        String failModel = spark.conf().get(FAIL_MODEL, "");
        int threads = Integer.parseInt(spark.conf().get("spark.task.cpus", "1"));
        List<Done> done = todo.isEmpty()
                ? List.of()
                : JavaSparkContext.fromSparkContext(spark.sparkContext())
                        .parallelize(todo, todo.size())
                        .map(m -> compress(m, out, codecs, threads, hadoop.value(), m.endsWith("/" + failModel)))
                        .collect();
        removeTemporaries(fs, out);
        manifest(spark, out, done);
        return done;
    }

    /** A model's task. */
    private static Done compress(
            String model, String out, Codecs codecs, int threads, Configuration conf, boolean failOnce)
            throws IOException {
        TaskContext t = TaskContext.get();
        String name = archiveName(model);
        String tmpName = "." + name + ".tmp-" + t.stageId() + "-" + t.partitionId() + "-" + t.attemptNumber();
        long t0 = System.nanoTime();
        try (Hub.Local in = Hub.Local.of(model, conf)) {
            boolean localOut = Hub.isLocal(out);
            Path work = localOut
                    ? Hub.localPath(out).resolve(tmpName)
                    : Hub.scratch().resolve(tmpName);
            try {
                ElfzArchive a = Elfz.compress(in.path, work, codecs.options(threads));
                if (failOnce && t.attemptNumber() == 0) {
                    throw new IllegalStateException("test hook: first attempt of " + model + " fails");
                }
                long size = Files.size(work);
                String target = HadoopPaths.child(out, name).toString();
                if (localOut) {
                    Files.move(work, Hub.localPath(out).resolve(name), StandardCopyOption.ATOMIC_MOVE);
                } else {
                    publish(work, out, tmpName, name, conf);
                }
                Map<String, Integer> counts = new TreeMap<>(a.tensors().stream()
                        .collect(Collectors.groupingBy(x -> codecId(x), Collectors.summingInt(x -> 1))));
                long bytes = a.originalBytes();
                return new Done(
                        model,
                        target,
                        a.files().size(),
                        bytes,
                        size,
                        size == 0 ? 1 : (double) bytes / size,
                        counts,
                        (System.nanoTime() - t0) / 1e9);
            } finally {
                Files.deleteIfExists(work);
            }
        }
    }

    private static String codecId(ElfzTensor t) {
        return t.codec().id();
    }

    /**
     * Copies a local archive to the output file system under its temporary name, then renames it. HDFS renames
     * atomically; on an object store (S3A) a rename is a copy and a delete, so the final name appears only once the
     * copy is whole, but not in one step.
     */
    private static void publish(Path local, String out, String tmpName, String name, Configuration conf)
            throws IOException {
        FileSystem fs = Hub.fs(out, conf);
        var tmp = HadoopPaths.child(out, tmpName);
        fs.copyFromLocalFile(false, true, HadoopPaths.of(local.toUri().toString()), tmp);
        if (!fs.rename(tmp, HadoopPaths.child(out, name))) {
            fs.delete(tmp, false);
            throw new IOException(out + "/" + name + ": could not rename " + tmp + " to it");
        }
    }

    /** Temporary archives of attempts that died before their own clean-up (the job's names only). */
    private static void removeTemporaries(FileSystem fs, String dir) throws IOException {
        for (FileStatus s : fs.listStatus(HadoopPaths.of(dir))) {
            String n = s.getPath().getName();
            if (n.startsWith(".") && n.contains(Elfz.SUFFIX + ".tmp-")) {
                fs.delete(s.getPath(), false);
            }
        }
    }

    /** OUT/_manifest: the rows of earlier runs for the models still there, and this run's. */
    private static void manifest(SparkSession spark, String out, List<Done> done) throws IOException {
        String path = out + "/_manifest";
        FileSystem fs = Hub.fs(out, spark.sparkContext().hadoopConfiguration());
        List<Row> rows = new ArrayList<>();
        Set<String> now = done.stream().map(Done::model).collect(Collectors.toSet());
        if (fs.exists(HadoopPaths.of(path))) {
            for (Row r : spark.read().schema(MANIFEST).parquet(path).collectAsList()) {
                if (!now.contains(r.getString(0)) && fs.exists(HadoopPaths.of(r.getString(1)))) {
                    rows.add(r);
                }
            }
        }
        done.forEach(d -> rows.add(d.row()));
        Dataset<Row> m = spark.createDataFrame(rows, MANIFEST).coalesce(1);
        m.write().mode(SaveMode.Overwrite).parquet(path);
    }
}
