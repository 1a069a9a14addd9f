package dev.elfz.cli;

import dev.elfz.ElfzOptions;
import dev.elfz.analyze.Analysis;
import dev.elfz.analyze.Analysis.DtypeStats;
import dev.elfz.analyze.Analysis.Duplication;
import dev.elfz.analyze.Analysis.Report;
import dev.elfz.analyze.Analysis.ValueStats;
import dev.elfz.analyze.CodecEstimate;
import dev.elfz.chart.Charts;
import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.JFreeChart;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** elfz analyze PATH...: per dtype, what the files hold and how much of it repeats. */
@Command(
        name = "analyze",
        mixinStandardHelpOptions = true,
        description = {
            "Analyses .safetensors, .onnx, PyTorch and .gguf files (and .elfz files, from their index) in files and "
                    + "directories (recursively): "
                    + "per dtype, layer counts and sizes, float value statistics, duplicate tensors and chunks.",
            "",
            "--json fields (snake_case): files[] (path, kind, bytes, tensors, tensor_bytes), tensors, bytes, "
                    + "dtypes[] and total, each with dtype, layers, layer_share, bytes, byte_share, parameters, "
                    + "average_parameters, average_bytes, values (float dtypes: values, in_unit, in_unit_share, min, "
                    + "max, mean, std, nan, inf, histogram: low, high, below, counts[200], above) and duplication (scanned_bytes, duplicate_layers, "
                    + "duplicate_layer_bytes, fixed4k_bytes, fixed512_bytes, cdc_bytes); chunk_index "
                    + "(fixed4k_chunks, fixed512_chunks, cdc_chunks, distinct_fixed4k, distinct_fixed512, "
                    + "distinct_cdc, memory_bytes, memory_limit, saturated); predictions[] (an estimate of elfz compress on the "
                    + "safetensors and onnx files: mode, flags, input_bytes, predicted_bytes, ratio, sampled_bytes, "
                    + "container_bytes); pairs[] (likely base and fine-tune pairs: base, fine_tune, tensors, "
                    + "changed_tensors, alone and delta, each a prediction of the lossless mode: of the fine-tune "
                    + "alone and of its XOR with the base)."
        })
final class AnalyzeCommand extends WorkCommand {

    @Parameters(
            arity = "1..*",
            paramLabel = "PATH",
            description = "Files or directories (.safetensors, .onnx, .bin/.pt/.pth, .gguf, .elfz).")
    List<Path> paths;

    @Option(
            names = "--memory",
            paramLabel = "BYTES",
            converter = Units.SizeConverter.class,
            description = "Most memory the chunk fingerprint tables may take, off the heap (default: half of this "
                    + "machine's memory). When they outgrow it, duplicate chunk bytes are lower bounds, and the "
                    + "output says so.")
    Long memory;

    @Option(
            names = "--plot",
            paramLabel = "FILE.png|FILE.svg",
            description = "Also write the histogram of float values as a picture (PNG or SVG, by the extension; "
                    + "an existing file is replaced): one line per dtype, counts on a log scale, the (-1, 1) band "
                    + "shaded. Drawn with JFreeChart.")
    Path plot;

    @Override
    public Integer call() throws IOException {
        for (Path p : paths) {
            existing(p);
        }
        if (plot != null) {
            checkPlot(plot);
        }
        ElfzOptions o = options("analyze");
        Analysis.Options a =
                Analysis.Options.defaults().withThreads(o.threads()).withProgress(o.progress());
        Report r = new Analysis(memory == null ? a : a.withMemory(memory)).run(paths);
        if (plot != null) {
            Charts.save(histogram(r.dtypes()), plot);
        }
        if (json) {
            printJson(r);
            return 0;
        }
        print(r, out());
        return 0;
    }

    /** The --plot picture: the histograms of the float dtypes, as the analysis counted them. */
    static JFreeChart histogram(List<DtypeStats> dtypes) {
        List<Charts.Binned> series = new ArrayList<>();
        for (DtypeStats d : dtypes) {
            ValueStats v = d.values();
            if (v != null) {
                Analysis.Histogram h = v.histogram();
                series.add(new Charts.Binned(
                        String.format(Locale.ROOT, "%s (%.4f %% in (-1, 1))", d.dtype(), 100 * v.inUnitShare()),
                        h.low(),
                        h.high(),
                        h.below(),
                        h.counts(),
                        h.above()));
            }
        }
        return Charts.histogram(
                "Float parameter values",
                "value (bins of " + plain((Analysis.HISTOGRAM_HIGH - Analysis.HISTOGRAM_LOW) / Analysis.BINS)
                        + "; the two points outside count the values beyond ["
                        + plain(Analysis.HISTOGRAM_LOW) + ", " + plain(Analysis.HISTOGRAM_HIGH) + "))",
                "parameters per bin (log scale)",
                series,
                new Charts.Band(-1, 1, "(-1, 1)"));
    }

    private static String plain(double x) {
        return BigDecimal.valueOf(x).stripTrailingZeros().toPlainString();
    }

    static void print(Report r, PrintWriter w) {
        long safetensors =
                r.files().stream().filter(f -> f.kind().equals("safetensors")).count();
        StringBuilder others = new StringBuilder();
        long other = 0;
        for (String kind : List.of("onnx", "torch", "gguf")) {
            long n = r.files().stream().filter(f -> f.kind().equals(kind)).count();
            others.append(n > 0 ? n + " " + kind + ", " : "");
            other += n;
        }
        w.printf(
                Locale.ROOT,
                "%d %s (%d safetensors, %s%d elfz), %d tensors, %s of tensors%n",
                r.files().size(),
                r.files().size() == 1 ? "file" : "files",
                safetensors,
                others,
                r.files().size() - safetensors - other,
                r.tensors(),
                Units.bytes(r.bytes()));
        List<DtypeStats> rows = new ArrayList<>(r.dtypes());
        rows.add(r.total());

        w.println();
        List<String[]> t = new ArrayList<>();
        t.add(new String[] {"dtype", "layers", "layers %", "size", "size %", "avg params", "avg size"});
        for (DtypeStats d : rows) {
            t.add(new String[] {
                d.dtype(),
                Long.toString(d.layers()),
                pct(d.layerShare()),
                Units.bytes(d.bytes()),
                pct(d.byteShare()),
                String.format(Locale.ROOT, "%.1f", d.averageParameters()),
                Units.bytes(Math.round(d.averageBytes()))
            });
        }
        table(w, t);

        List<String[]> v = new ArrayList<>();
        v.add(new String[] {"dtype", "values", "in (-1,1) %", "min", "max", "mean", "std", "NaN", "Inf"});
        for (DtypeStats d : rows) {
            ValueStats s = d.values();
            if (s != null) {
                v.add(new String[] {
                    d.dtype(),
                    Long.toString(s.values()),
                    String.format(Locale.ROOT, "%.4f", 100 * s.inUnitShare()),
                    num(s.min()),
                    num(s.max()),
                    num(s.mean()),
                    num(s.std()),
                    Long.toString(s.nan()),
                    Long.toString(s.inf())
                });
            }
        }
        if (v.size() > 1) {
            w.println();
            table(w, v);
        }

        w.println();
        List<String[]> u = new ArrayList<>();
        u.add(new String[] {
            "dtype",
            "scanned",
            "dup layers",
            "dup layer size",
            "dup %",
            "4 KiB dup",
            "dup %",
            "512 B dup",
            "dup %",
            "CDC dup",
            "dup %"
        });
        for (DtypeStats d : rows) {
            Duplication x = d.duplication();
            long s = x.scannedBytes();
            u.add(new String[] {
                d.dtype(),
                Units.bytes(s),
                Long.toString(x.duplicateLayers()),
                Units.bytes(x.duplicateLayerBytes()),
                pct(s, x.duplicateLayerBytes()),
                Units.bytes(x.fixed4kBytes()),
                pct(s, x.fixed4kBytes()),
                Units.bytes(x.fixed512Bytes()),
                pct(s, x.fixed512Bytes()),
                Units.bytes(x.cdcBytes()),
                pct(s, x.cdcBytes())
            });
        }
        table(w, u);
        Analysis.ChunkIndex c = r.chunkIndex();
        w.printf(
                Locale.ROOT,
                "%nchunks: %d of 4 KiB (%d distinct), %d of 512 B (%d distinct), %d by FastCDC (%d distinct); "
                        + "fingerprint tables %s of %s%s%n",
                c.fixed4kChunks(),
                c.distinctFixed4k(),
                c.fixed512Chunks(),
                c.distinctFixed512(),
                c.cdcChunks(),
                c.distinctCdc(),
                Units.bytes(c.memoryBytes()),
                Units.bytes(c.memoryLimit()),
                c.saturated() ? " (full: duplicate chunk bytes are a lower bound)" : "");
        predictions(r, w);
        pairs(r, w);
        w.flush();
    }

    /** What compress would give, as estimated: one row per mode. */
    private static void predictions(Report r, PrintWriter w) {
        if (r.predictions().isEmpty()) {
            return;
        }
        w.printf(
                Locale.ROOT,
                "%nelfz compress, estimated from %s of float values coded in each mode:%n",
                Units.bytes(r.predictions().getFirst().sampledBytes()));
        List<String[]> t = new ArrayList<>();
        t.add(new String[] {"mode", "flags", "size", "ratio"});
        for (CodecEstimate.Prediction p : r.predictions()) {
            t.add(new String[] {
                p.mode(), p.flags(), Units.bytes(p.predictedBytes()), String.format(Locale.ROOT, "%.3f", p.ratio())
            });
        }
        table(w, t);
    }

    /** The likely base and fine-tune pairs: one row per fine-tune, with the lossless ratios alone and as a delta. */
    private static void pairs(Report r, PrintWriter w) {
        if (r.pairs().isEmpty()) {
            return;
        }
        w.printf(
                Locale.ROOT,
                "%nlikely fine-tunes (the same tensors; their XOR with the base codes much smaller), "
                        + "lossless ratios estimated as above:%n");
        List<String[]> t = new ArrayList<>();
        t.add(new String[] {"fine-tune", "base", "changed tensors", "alone", "--base", "gain"});
        for (Analysis.Pair p : r.pairs()) {
            t.add(new String[] {
                p.fineTune(),
                p.base(),
                p.changedTensors() + " of " + p.tensors(),
                String.format(Locale.ROOT, "%.3f", p.alone().ratio()),
                String.format(Locale.ROOT, "%.3f", p.delta().ratio()),
                String.format(
                        Locale.ROOT, "%.2fx", p.delta().ratio() / p.alone().ratio())
            });
        }
        table(w, t);
        w.printf("(elfz compress FINE_TUNE --base BASE; an XOR is the same both ways)%n");
    }

    private static String pct(double share) {
        return String.format(Locale.ROOT, "%.2f", 100 * share);
    }

    private static String pct(long whole, long part) {
        return pct(whole == 0 ? 0 : (double) part / whole);
    }

    private static String num(double x) {
        return Double.isNaN(x) ? "-" : String.format(Locale.ROOT, "%.6g", x);
    }

    /** Columns aligned: the first to the left, the others (numbers) to the right. */
    static void table(PrintWriter w, List<String[]> rows) {
        table(w, rows, 1);
    }

    /** Columns aligned, two spaces apart: the first {@code left} to the left, the others (numbers) to the right. */
    static void table(PrintWriter w, List<String[]> rows, int left) {
        int[] width = new int[rows.getFirst().length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                String pad = " ".repeat(width[i] - row[i].length());
                line.append(i == 0 ? "" : "  ").append(i < left ? row[i] + pad : pad + row[i]);
            }
            w.println(line.toString().stripTrailing());
        }
    }
}
