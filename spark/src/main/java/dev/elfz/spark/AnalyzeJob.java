package dev.elfz.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;

import dev.elfz.Dtype;
import dev.elfz.analyze.Analysis;
import dev.elfz.analyze.FastCdc;
import dev.elfz.analyze.FileScan;
import dev.elfz.analyze.Pairs;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.SerializableConfiguration;
import scala.Tuple2;

/**
 * {@code elfz-spark analyze HUB -o REPORT}: {@code elfz analyze}'s tables for every model file of a hub. A task reads
 * each file's header; then a task scans each slice (consecutive whole tensors of a file, about {@code sliceBytes},
 * so FastCDC cuts as on one machine) with {@link FileScan}, and its fingerprints are shuffled: grouped by value,
 * counted, and the first of each (by file and place) found, so a duplicate is what it is on one machine. Only
 * small things reach the driver: headers, value statistics per slice and dtype, and the counts per fingerprint kind
 * and dtype.
 */
final class AnalyzeJob {

    /** Hook for the retry tests: the first attempt of the slice with this number fails half-way through. */
    static final String FAIL_SLICE = "spark.elfz.test.failSlice";

    static final StructType FINGERPRINTS = new StructType()
            .add("kind", DataTypes.ByteType, false)
            .add("hi", DataTypes.LongType, false)
            .add("lo", DataTypes.LongType, false)
            .add("file", DataTypes.IntegerType, false)
            .add("seq", DataTypes.LongType, false)
            .add("dtype", DataTypes.StringType, false)
            .add("len", DataTypes.LongType, false);

    /** Tensors [from, to) of file number {@code file}, and the places of them the estimate samples. */
    record Slice(int id, int file, String uri, int from, int to, Map<Integer, long[]> sample) implements Serializable {}

    /**
     * What a slice tells the driver: value statistics per dtype, tensor hashes and the estimate's sample (its
     * {@link FileScan.ScanResult}), fingerprints and bytes per kind and dtype.
     */
    record SliceOut(int id, FileScan.ScanResult result, long[][] chunks, long[][] bytes) implements Serializable {}

    private AnalyzeJob() {}

    static Analysis.Report run(SparkSession spark, String hub, String report, long sliceBytes) throws IOException {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        SerializableConfiguration hadoop = new SerializableConfiguration(conf);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<String> files = Hub.files(hub, conf);
        if (files.isEmpty()) {
            throw new IOException(hub + ": no .safetensors, .onnx, .gguf or PyTorch file");
        }

        List<Tuple2<Integer, FileScan.Header>> headers = jsc.parallelize(
                        IntStream.range(0, files.size()).boxed().toList(), files.size())
                .map(i -> {
                    try (Hub.Local l = Hub.Local.of(files.get(i), hadoop.value())) {
                        return new Tuple2<>(i, FileScan.header(l.path));
                    }
                })
                .collect();
        List<Tuple2<Integer, FileScan.Header>> read =
                headers.stream().filter(h -> h._2() != null).toList();
        List<Map<Integer, long[]>> sample =
                FileScan.samplePlan(read.stream().map(Tuple2::_2).toList());
        List<Slice> slices = new ArrayList<>();
        for (int i = 0; i < read.size(); i++) {
            int f = read.get(i)._1();
            slice(
                    slices,
                    f,
                    files.get(f),
                    read.get(i)._2(),
                    Hub.isLocal(files.get(f)) ? sliceBytes : -1,
                    sample.get(i));
        }

        CollectionAccumulator<SliceOut> outs = spark.sparkContext().collectionAccumulator("elfz analyze slices");
        int failSlice = Integer.parseInt(spark.conf().get(FAIL_SLICE, "-1"));
        JavaRDD<Row> rows = jsc.parallelize(slices, Math.max(1, slices.size()))
                .flatMap(s -> scan(s, FastCdc.DEFAULT, hadoop.value(), outs, s.id() == failSlice));
        Dataset<Row> grouped = spark.createDataFrame(rows, FINGERPRINTS)
                .groupBy("kind", "hi", "lo")
                .agg(
                        count(lit(1)).as("n"),
                        min(struct(col("file"), col("seq"), col("dtype"), col("len")))
                                .as("first"))
                .persist(StorageLevel.DISK_ONLY());
        try {
            grouped.filter(col("n").gt(1))
                    .select(
                            col("kind"),
                            col("hi"),
                            col("lo"),
                            col("n").as("count"),
                            col("first.file").as("first_file"),
                            col("first.dtype").as("dtype"),
                            col("first.len").as("length"))
                    .write()
                    .mode(SaveMode.Overwrite)
                    .parquet(report + "/repeated");
            List<Row> firsts = grouped.groupBy(col("kind"), col("first.dtype").as("dtype"))
                    .agg(count(lit(1)).as("distinct"), sum("first.len").as("bytes"))
                    .collectAsList();
            Analysis.Report r = FileScan.report(
                    results(files, read, slices, outs.value()),
                    counts(outs, firsts),
                    Runtime.getRuntime().availableProcessors(),
                    candidates -> pairEstimates(jsc, hadoop, candidates));
            write(spark, r, report);
            return r;
        } finally {
            grouped.unpersist();
        }
    }

    /**
     * Cuts a file's tensors into slices of about {@code bytes} (a larger tensor is a slice alone; -1: one slice), each
     * with its part of the file's {@code sample}.
     */
    static void slice(
            List<Slice> out, int file, String uri, FileScan.Header h, long bytes, Map<Integer, long[]> sample) {
        int from = 0;
        long size = 0;
        List<FileScan.Tensor> ts = h.tensors();
        for (int i = 0; i < ts.size(); i++) {
            if (bytes >= 0 && i > from && size + ts.get(i).bytes() > bytes) {
                out.add(new Slice(out.size(), file, uri, from, i, part(sample, from, i)));
                from = i;
                size = 0;
            }
            size += ts.get(i).bytes();
        }
        // a file without tensors still has its row
        out.add(new Slice(out.size(), file, uri, from, ts.size(), part(sample, from, ts.size())));
    }

    private static Map<Integer, long[]> part(Map<Integer, long[]> sample, int from, int to) {
        Map<Integer, long[]> out = new TreeMap<>();
        sample.forEach((k, v) -> {
            if (k >= from && k < to) {
                out.put(k, v);
            }
        });
        return out;
    }

    /**
     * The likely fine-tunes' estimates, a task per candidate: the fine-tune and its bases read where the task runs
     * (copied to its disk when remote). Only the estimates, a few numbers each, come back.
     */
    private static List<Pairs.Estimates> pairEstimates(
            JavaSparkContext jsc, SerializableConfiguration hadoop, List<Pairs.Candidate> candidates) {
        List<Tuple2<String, Tuple2<Long, List<String>>>> jobs = candidates.stream()
                .map(c -> new Tuple2<>(
                        c.fineTune().name(),
                        new Tuple2<>(
                                c.fineTune().floatBytes(),
                                c.bases().stream().map(Pairs.Model::name).toList())))
                .toList();
        return jsc.parallelize(jobs, jobs.size())
                .map(j -> {
                    List<Hub.Local> bases = new ArrayList<>();
                    try (Hub.Local ft = Hub.Local.of(j._1(), hadoop.value())) {
                        for (String b : j._2()._2()) {
                            bases.add(Hub.Local.of(b, hadoop.value()));
                        }
                        return Pairs.estimate(
                                ft.path,
                                j._2()._1(),
                                bases.stream().map(l -> l.path).toList());
                    } finally {
                        for (Hub.Local b : bases) {
                            b.close();
                        }
                    }
                })
                .collect();
    }

    /** A slice's task: scans it, tells the driver its sums, and hands its fingerprints to the shuffle. */
    private static Iterator<Row> scan(
            Slice s, FastCdc cdc, Configuration conf, CollectionAccumulator<SliceOut> outs, boolean failOnce)
            throws IOException {
        Fingerprints fp = new Fingerprints(s.file());
        long[][] chunks = new long[FileScan.KINDS][Dtype.values().length];
        long[][] bytes = new long[FileScan.KINDS][Dtype.values().length];
        FileScan.ScanResult result;
        try (Hub.Local l = Hub.Local.of(s.uri(), conf)) {
            result = FileScan.scan(
                    l.path,
                    s.from(),
                    s.to(),
                    cdc,
                    (kind, hi, lo, seq, dtype, length) -> {
                        fp.add(kind, hi, lo, seq, dtype, length);
                        chunks[kind][dtype.ordinal()]++;
                        bytes[kind][dtype.ordinal()] += length;
                    },
                    s.sample());
        }
        outs.add(new SliceOut(s.id(), result, chunks, bytes));
        boolean fail = failOnce && TaskContext.get().attemptNumber() == 0;
        return fp.rows(fail ? fp.size() / 2 : -1);
    }

    /** A slice's fingerprints, kept as columns (about 30 bytes each) until the shuffle takes them. */
    private static final class Fingerprints {
        final int file;
        byte[] kinds = new byte[1024], dtypes = new byte[1024];
        long[] his = new long[1024], los = new long[1024], seqs = new long[1024], lens = new long[1024];
        int n;

        Fingerprints(int file) {
            this.file = file;
        }

        int size() {
            return n;
        }

        void add(int kind, long hi, long lo, long seq, Dtype dtype, long length) {
            if (n == kinds.length) {
                int m = 2 * n;
                kinds = Arrays.copyOf(kinds, m);
                dtypes = Arrays.copyOf(dtypes, m);
                his = Arrays.copyOf(his, m);
                los = Arrays.copyOf(los, m);
                seqs = Arrays.copyOf(seqs, m);
                lens = Arrays.copyOf(lens, m);
            }
            kinds[n] = (byte) kind;
            dtypes[n] = (byte) dtype.ordinal();
            his[n] = hi;
            los[n] = lo;
            seqs[n] = seq;
            lens[n] = length;
            n++;
        }

        /** The rows; {@code failAt >= 0}: the iterator throws there (the retry tests' task dying half-way). */
        Iterator<Row> rows(int failAt) {
            Dtype[] dtypes = Dtype.values();
            return new Iterator<>() {
                int i;

                @Override
                public boolean hasNext() {
                    return i < n;
                }

                @Override
                public Row next() {
                    if (i == failAt) {
                        throw new IllegalStateException("test hook: first attempt of this slice fails");
                    }
                    Row r = RowFactory.create(
                            kinds[i],
                            his[i],
                            los[i],
                            file,
                            seqs[i],
                            dtypes[Fingerprints.this.dtypes[i]].name(),
                            lens[i]);
                    i++;
                    return r;
                }
            };
        }
    }

    /** The files' results in order, each with its slices' results in order (one per slice id). */
    private static List<FileScan.FileResult> results(
            List<String> files,
            List<Tuple2<Integer, FileScan.Header>> headers,
            List<Slice> slices,
            List<SliceOut> outs) {
        Map<Integer, SliceOut> byId = new TreeMap<>();
        outs.forEach(o -> byId.putIfAbsent(o.id(), o));
        List<FileScan.FileResult> out = new ArrayList<>();
        for (Tuple2<Integer, FileScan.Header> h : headers) {
            List<FileScan.ScanResult> results = new ArrayList<>();
            for (Slice s : slices) {
                if (s.file() == h._1()) {
                    results.add(byId.get(s.id()).result());
                }
            }
            out.add(new FileScan.FileResult(files.get(h._1()), h._2(), results));
        }
        return out;
    }

    /** Per dtype and kind: fingerprints and bytes (the slices' sums) and the first of each value (the shuffle's). */
    private static Map<Dtype, FileScan.Counts[]> counts(CollectionAccumulator<SliceOut> outs, List<Row> firsts) {
        Map<Integer, SliceOut> byId = new TreeMap<>();
        outs.value().forEach(o -> byId.putIfAbsent(o.id(), o));
        int kinds = FileScan.KINDS, dtypes = Dtype.values().length;
        long[][] chunks = new long[kinds][dtypes], bytes = new long[kinds][dtypes];
        long[][] distinct = new long[kinds][dtypes], firstBytes = new long[kinds][dtypes];
        for (SliceOut o : byId.values()) {
            for (int k = 0; k < kinds; k++) {
                for (int d = 0; d < dtypes; d++) {
                    chunks[k][d] += o.chunks()[k][d];
                    bytes[k][d] += o.bytes()[k][d];
                }
            }
        }
        for (Row r : firsts) {
            int k = r.getByte(0), d = Dtype.valueOf(r.getString(1)).ordinal();
            distinct[k][d] += r.getLong(2);
            firstBytes[k][d] += r.getLong(3);
        }
        Map<Dtype, FileScan.Counts[]> out = new TreeMap<>();
        for (Dtype d : Dtype.values()) {
            FileScan.Counts[] c = new FileScan.Counts[kinds];
            boolean any = false;
            for (int k = 0; k < kinds; k++) {
                int i = d.ordinal();
                c[k] = new FileScan.Counts(chunks[k][i], bytes[k][i], firstBytes[k][i], distinct[k][i]);
                any |= chunks[k][i] > 0;
            }
            if (any) {
                out.put(d, c);
            }
        }
        return out;
    }

    /** REPORT/report.json ({@code elfz analyze --json}'s fields) and its files and dtypes tables as Parquet. */
    private static void write(SparkSession spark, Analysis.Report r, String report) throws IOException {
        String json = Json.MAPPER.writeValueAsString(r);
        Json.writeAtomically(spark.sparkContext().hadoopConfiguration(), report + "/report.json", json);
        Dataset<Row> d = spark.read().json(spark.createDataset(List.of(json), Encoders.STRING()));
        d.select(explode(col("files")).as("f"))
                .select("f.*")
                .write()
                .mode(SaveMode.Overwrite)
                .parquet(report + "/files");
        d.select(explode(col("dtypes")).as("d"))
                .select("d.*")
                .write()
                .mode(SaveMode.Overwrite)
                .parquet(report + "/dtypes");
    }
}
