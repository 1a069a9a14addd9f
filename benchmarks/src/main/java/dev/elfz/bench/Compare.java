package dev.elfz.bench;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.elfz.Dtype;
import dev.elfz.chart.Charts;
import dev.elfz.codec.FloatValues;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jfree.chart.JFreeChart;

/**
 * elfz against the compressors a user would pick instead, on the same real file in one run: each case compressed
 * and decompressed by its command ({@code /usr/bin/time} for the peak RSS), the cases interleaved, the median of
 * the runs. Every output is checked: lossless ones byte for byte (a mismatch stops the run), lossy ones by their
 * largest absolute error over the float values. Writes OUT_PREFIX.json and OUT_PREFIX.png (ratio against compress
 * speed, one series per tool) and prints the Markdown table.
 *
 * <pre>Compare ELFZ_LAUNCHER MODEL.safetensors WORKDIR RUNS OUT_PREFIX</pre>
 *
 * The peers that read bare arrays (zfp, fpzip) get the file's data region (its float32 values, the header cut
 * off): their ratio is over those bytes.
 */
public final class Compare {

    private Compare() {}

    /** What a case reads: the safetensors file, or its bare float32 values. */
    enum Input {
        FILE,
        VALUES
    }

    /** How an output is checked. */
    enum Check {
        SAME_BYTES,
        ERROR
    }

    /**
     * One tool in one mode: {@code {in}}, {@code {packed}} and {@code {out}} in the commands stand for the files;
     * a command whose last two words are {@code > FILE} writes its standard output there.
     */
    record Case(String tool, String mode, int threads, Input input, Check check, String compress, String decompress) {
        String id() {
            return (tool + "-" + mode + "-T" + threads).replaceAll("[^A-Za-z0-9.-]+", "_");
        }
    }

    /** The medians of a case. */
    record Row(
            String tool,
            String mode,
            int threads,
            long inputBytes,
            long packedBytes,
            double ratio,
            double compressMBps,
            double decompressMBps,
            double compressSeconds,
            double decompressSeconds,
            double maxAbsError,
            long compressPeakRssKb,
            long decompressPeakRssKb) {}

    static List<Case> cases(String elfz, long values, int cores) {
        List<Case> c = new ArrayList<>();
        String[][] elfzModes = {
            {"elf", "--codec elf"},
            {"lossless", "--codec lossless"},
            {"bound 1e-4", "--error-bound 1e-4"},
            {"bound 1e-6", "--error-bound 1e-6"},
            {"uniform 8", "--codec uniform --bits 8"},
            {"uniform 4", "--codec uniform --bits 4"},
            {"kmeans 4", "--codec kmeans --bits 4"},
            {"prune 50% + elf", "--codec elf --prune 0.5"}
        };
        for (int t : new int[] {1, cores}) {
            for (String[] m : elfzModes) {
                c.add(new Case(
                        "elfz",
                        m[0],
                        t,
                        Input.FILE,
                        m[0].equals("lossless") ? Check.SAME_BYTES : Check.ERROR,
                        elfz + " compress -q -f -T " + t + " " + m[1] + " {in} -o {packed}",
                        elfz + " decompress -q -f -T " + t + " {packed} -o {out}"));
            }
            for (int level : new int[] {1, 3, 19}) {
                c.add(new Case(
                        "zstd",
                        "-" + level,
                        t,
                        Input.FILE,
                        Check.SAME_BYTES,
                        "zstd -q -f -" + level + " -T" + (t == 1 ? 1 : 0) + " {in} -o {packed}",
                        "zstd -q -f -d {packed} -o {out}"));
            }
            c.add(new Case(
                    "pigz",
                    "-6",
                    t,
                    Input.FILE,
                    Check.SAME_BYTES,
                    "pigz -c -6 -p " + t + " {in} > {packed}",
                    "pigz -d -c -p " + t + " {packed} > {out}"));
        }
        c.add(new Case(
                "xz",
                "-1",
                1,
                Input.FILE,
                Check.SAME_BYTES,
                "xz -c -1 -T1 {in} > {packed}",
                "xz -d -c -T1 {packed} > {out}"));
        for (String e : new String[] {"1e-4", "1e-6"}) {
            c.add(new Case(
                    "zfp",
                    "-a " + e,
                    1,
                    Input.VALUES,
                    Check.ERROR,
                    "zfp -f -1 " + values + " -a " + e + " -i {in} -z {packed}",
                    "zfp -f -1 " + values + " -a " + e + " -z {packed} -o {out}"));
        }
        c.add(new Case(
                "fpzip",
                "lossless",
                1,
                Input.VALUES,
                Check.SAME_BYTES,
                "fpzip -q -t float -1 " + values + " -i {in} -o {packed}",
                "fpzip -q -d -t float -1 " + values + " -i {packed} -o {out}"));
        return c;
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * {@code ELFZ MODEL WORK RUNS OUT}: runs every case, writes OUT.json and OUT.png, prints the table; {@code --redraw
     * OUT}: draws OUT.png again from OUT.json (after a change to the chart, without the half hour of runs).
     */
    public static void main(String[] args) throws Exception {
        if (args[0].equals("--redraw")) {
            List<Row> rows = JSON.readValue(Path.of(args[1] + ".json").toFile(), new TypeReference<List<Row>>() {});
            Charts.save(chart(rows), Path.of(args[1] + ".png"));
            return;
        }
        String elfz = args[0];
        Path model = Path.of(args[1]);
        Path work = Files.createDirectories(Path.of(args[2]));
        int runs = Integer.parseInt(args[3]);
        String out = args[4];
        Path values = work.resolve("values.f32");
        long count = writeValues(model, values);
        List<Case> cases = cases(elfz, count, Runtime.getRuntime().availableProcessors());
        Map<Case, double[][]> times = new LinkedHashMap<>(); // [run][c seconds, d seconds, c rss, d rss]
        Map<Case, Double> errors = new LinkedHashMap<>();
        for (int r = 0; r < runs; r++) {
            for (Case c : cases) {
                System.err.printf(
                        Locale.ROOT,
                        "compare: run %d of %d: %s %s -T%d%n",
                        r + 1,
                        runs,
                        c.tool(),
                        c.mode(),
                        c.threads());
                Path in = c.input() == Input.FILE ? model : values;
                Path packed = work.resolve(c.id() + ".packed");
                Path back = work.resolve(c.id() + ".out");
                double[] ct = run(c.compress(), in, packed, back, work);
                double[] dt = run(c.decompress(), in, packed, back, work);
                times.computeIfAbsent(c, k -> new double[runs][])[r] = new double[] {ct[0], dt[0], ct[1], dt[1]};
                if (r == 0) {
                    errors.put(c, check(c, in, back));
                }
                Files.deleteIfExists(back);
            }
        }
        List<Row> rows = new ArrayList<>();
        for (Case c : cases) {
            Path in = c.input() == Input.FILE ? model : values;
            long inBytes = Files.size(in), packedBytes = Files.size(work.resolve(c.id() + ".packed"));
            double[][] t = times.get(c);
            double cs = median(t, 0), ds = median(t, 1);
            rows.add(new Row(
                    c.tool(),
                    c.mode(),
                    c.threads(),
                    inBytes,
                    packedBytes,
                    (double) inBytes / packedBytes,
                    inBytes / 1e6 / cs,
                    inBytes / 1e6 / ds,
                    cs,
                    ds,
                    errors.get(c),
                    (long) median(t, 2),
                    (long) median(t, 3)));
        }
        JSON.writeValue(Path.of(out + ".json").toFile(), rows);
        System.out.print(table(rows));
        Charts.save(chart(rows), Path.of(out + ".png"));
    }

    /** The model's float32 values, concatenated in file order (its data region); returns their count. */
    static long writeValues(Path model, Path values) throws IOException {
        try (SafetensorsFile s = SafetensorsFile.open(model);
                FileChannel ch = FileChannel.open(
                        values,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
            long n = 0;
            for (TensorInfo t : s.tensors()) {
                if (t.dtype() != Dtype.F32) {
                    throw new IOException(
                            model + ": " + t.name() + " is " + t.dtype() + "; the peers get float32 only");
                }
                ch.write(s.data(t).asByteBuffer());
                n += t.elements();
            }
            return n;
        }
    }

    /** Runs a command under /usr/bin/time; returns {seconds, peak RSS in KB}. */
    private static double[] run(String command, Path in, Path packed, Path back, Path work) throws Exception {
        String cmd = command.replace("{in}", in.toString())
                .replace("{packed}", packed.toString())
                .replace("{out}", back.toString());
        List<String> words = new ArrayList<>(Arrays.asList(cmd.split(" ")));
        Path target = null;
        if (words.size() > 2 && words.get(words.size() - 2).equals(">")) {
            target = Path.of(words.removeLast());
            words.removeLast();
        }
        Path rss = work.resolve("rss.txt");
        List<String> full = new ArrayList<>(List.of("/usr/bin/time", "-f", "%M", "-o", rss.toString()));
        full.addAll(words);
        Path log = work.resolve("command.log"); // zfp reports on stderr: kept out of the script's output
        ProcessBuilder pb = new ProcessBuilder(full).redirectError(log.toFile());
        pb.redirectOutput(
                target == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.to(target.toFile()));
        long t = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException("compare: `" + cmd + "` failed: " + String.join(" | ", Files.readAllLines(log)));
        }
        double seconds = (System.nanoTime() - t) / 1e9;
        return new double[] {
            seconds, Double.parseDouble(Files.readAllLines(rss).getLast().trim())
        };
    }

    /** 0 for a lossless case whose output is the input's bytes (else it throws); the largest error otherwise. */
    private static double check(Case c, Path in, Path back) throws IOException {
        if (c.check() == Check.SAME_BYTES) {
            if (Files.mismatch(in, back) != -1) {
                throw new IOException("compare: " + c.tool() + " " + c.mode() + " did not give the input back");
            }
            return 0;
        }
        if (c.input() == Input.VALUES) {
            try (Arena a = Arena.ofConfined()) {
                return maxAbsError(map(in, a), map(back, a));
            }
        }
        double worst = 0;
        try (SafetensorsFile x = SafetensorsFile.open(in);
                SafetensorsFile y = SafetensorsFile.open(back)) {
            for (TensorInfo t : x.tensors()) {
                worst = Math.max(
                        worst,
                        maxAbsError(
                                x.data(t),
                                y.data(y.tensors().stream()
                                        .filter(u -> u.name().equals(t.name()))
                                        .findFirst()
                                        .orElseThrow())));
            }
        }
        return worst;
    }

    private static MemorySegment map(Path f, Arena a) throws IOException {
        try (FileChannel ch = FileChannel.open(f)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), a);
        }
    }

    /** The largest |x - y| over two float32 arrays (a NaN that stays NaN counts 0; any other change of NaN, Inf). */
    static double maxAbsError(MemorySegment x, MemorySegment y) {
        if (x.byteSize() != y.byteSize()) {
            return Double.POSITIVE_INFINITY;
        }
        double worst = 0;
        for (long i = 0, n = x.byteSize() / 4; i < n; i++) {
            float a = x.getAtIndex(FloatValues.F32, i), b = y.getAtIndex(FloatValues.F32, i);
            double d = Float.isNaN(a) || Float.isNaN(b)
                    ? (Float.isNaN(a) && Float.isNaN(b) ? 0 : Double.POSITIVE_INFINITY)
                    : Math.abs((double) a - b);
            worst = Math.max(worst, d);
        }
        return worst;
    }

    private static double median(double[][] t, int column) {
        double[] v = Arrays.stream(t).mapToDouble(r -> r[column]).sorted().toArray();
        return v[(v.length - 1) / 2];
    }

    static String table(List<Row> rows) {
        StringBuilder s = new StringBuilder("| tool | mode | threads | ratio | compress MB/s | decompress MB/s "
                + "| max abs error | peak RSS MB (c / d) |\n|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            s.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %d | %.3f | %.0f | %.0f | %s | %d / %d |%n",
                    r.tool(),
                    r.mode(),
                    r.threads(),
                    r.ratio(),
                    r.compressMBps(),
                    r.decompressMBps(),
                    r.maxAbsError() == 0 ? "0 (exact)" : String.format(Locale.ROOT, "%.3g", r.maxAbsError()),
                    r.compressPeakRssKb() / 1024,
                    r.decompressPeakRssKb() / 1024));
        }
        return s.toString();
    }

    /** Ratio against compress speed, a series per tool, each point named by its mode and threads. */
    static JFreeChart chart(List<Row> rows) {
        Map<String, List<Charts.Point>> byTool = new LinkedHashMap<>();
        for (Row r : rows) {
            byTool.computeIfAbsent(r.tool(), k -> new ArrayList<>())
                    .add(new Charts.Point(
                            r.compressMBps(), r.ratio(), r.mode() + (r.threads() > 1 ? " -T" + r.threads() : "")));
        }
        List<Charts.Points> series = byTool.entrySet().stream()
                .map(e -> new Charts.Points(e.getKey(), e.getValue()))
                .toList();
        return Charts.scatter(
                "Compression ratio against compress speed (BERT-base f32)",
                "compress MB/s (log scale; the whole command, as a user runs it)",
                "compression ratio (log scale)",
                series);
    }
}
