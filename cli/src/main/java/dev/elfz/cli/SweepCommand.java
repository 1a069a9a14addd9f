package dev.elfz.cli;

import dev.elfz.CodecChoice;
import dev.elfz.ElfzOptions;
import dev.elfz.Granularity;
import dev.elfz.LossyOptions;
import dev.elfz.chart.Charts;
import dev.elfz.eval.OnnxEval;
import dev.elfz.onnx.OnnxFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.jfree.chart.JFreeChart;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** elfz sweep MODEL.onnx: ratio against output fidelity per codec family, charted for the user's model. */
@Command(
        name = "sweep",
        mixinStandardHelpOptions = true,
        description = {
            "Compresses MODEL.onnx in every setting of each codec family (ELF; error bounds 1e-5, 1e-4, 1e-3; uniform "
                    + "8, 6, 4 bits per channel; k-means 6, 4, 3 bits; pruning 10, 30, 50%% + ELF), decompresses it, "
                    + "runs the original and each result in ONNX Runtime on the same inputs (as eval) and "
                    + "reports the ratio and the output that changed most: cosine similarity and max abs error.",
            "",
            "--json: model, input_bytes, inputs (per model input, what it held), points[] (family, setting, flags, "
                    + "compressed_bytes, ratio, output, cosine, max_abs_error)."
        })
final class SweepCommand extends WorkCommand {

    @Parameters(index = "0", paramLabel = "MODEL", description = "An .onnx file.")
    Path model;

    @Mixin
    EvalInputs inputs;

    @Option(
            names = "--plot",
            paramLabel = "FILE.png|FILE.svg",
            description = "Also draw ratio (log scale) against cosine similarity, a line per family (PNG or SVG by the "
                    + "extension; an existing file is replaced). Drawn with JFreeChart.")
    Path plot;

    /** One setting of a family: its label, the compress flags it stands for, and the options it makes. */
    record Setting(String family, String setting, String flags, UnaryOperator<ElfzOptions> options) {}

    /** One point of the sweep. */
    record Point(
            String family,
            String setting,
            String flags,
            long compressedBytes,
            double ratio,
            String output,
            double cosine,
            double maxAbsError) {}

    /** The --json summary. */
    record Summary(String model, long inputBytes, Map<String, String> inputs, List<Point> points) {}

    /** The settings swept, family by family, from the mildest to the strongest. */
    static List<Setting> settings() {
        List<Setting> s = new ArrayList<>();
        s.add(new Setting("elf", "elf", "--codec elf", o -> o.withCodec(CodecChoice.ELF)));
        for (double e : new double[] {1e-5, 1e-4, 1e-3}) {
            String label = String.format(Locale.ROOT, "%.0e", e);
            s.add(new Setting("error bound", label, "--error-bound " + label, o -> o.withErrorBound(e)));
        }
        for (int bits : new int[] {8, 6, 4}) {
            s.add(new Setting(
                    "uniform per channel",
                    bits + " bits",
                    "--codec uniform --per-channel --bits " + bits,
                    o -> o.withCodec(CodecChoice.UNIFORM)
                            .withLossy(o.lossy().withBits(bits).withGranularity(Granularity.CHANNEL, 32))));
        }
        for (int bits : new int[] {6, 4, 3}) {
            s.add(new Setting(
                    "k-means",
                    bits + " bits",
                    "--codec kmeans --bits " + bits,
                    o -> o.withCodec(CodecChoice.KMEANS).withLossy(o.lossy().withBits(bits))));
        }
        for (double f : new double[] {0.1, 0.3, 0.5}) {
            s.add(new Setting(
                    "pruning + elf",
                    Math.round(100 * f) + "%",
                    "--codec elf --prune " + f,
                    o -> o.withCodec(CodecChoice.ELF).withLossy(o.lossy().withPruneFraction(f))));
        }
        return s;
    }

    @Override
    public Integer call() throws IOException {
        if (!model.toString().endsWith(OnnxFile.SUFFIX)) {
            throw new ParameterException(spec.commandLine(), "MODEL must be an .onnx file, not " + model);
        }
        if (plot != null) {
            checkPlot(plot);
        }
        OnnxEval.Inputs in = inputs.get(spec);
        Path source = existing(model);
        ElfzOptions base = options(shown(model)).withLossy(LossyOptions.NONE);
        long size = 0; // the model and its external data files
        List<Point> points = new ArrayList<>();
        Map<String, String> described = Map.of();
        for (Setting s : settings()) {
            OnnxEval.Trial t = EvalInputs.trial("sweep", source, s.options().apply(base), in);
            described = t.comparison().inputs();
            OnnxEval.Output worst = t.worst();
            size = t.inputBytes();
            points.add(new Point(
                    s.family(),
                    s.setting(),
                    s.flags(),
                    t.compressedBytes(),
                    Units.ratio(size, t.compressedBytes()),
                    worst.name(),
                    worst.cosine(),
                    worst.maxAbsError()));
        }
        if (plot != null) {
            Charts.save(chart(model.getFileName().toString(), points), plot);
        }
        if (json) {
            printJson(new Summary(model.toString(), size, described, points));
            return 0;
        }
        out().printf(
                        Locale.ROOT,
                        "%s (%s), %s; per setting the output that changed most%n",
                        shown(model),
                        Units.bytes(size),
                        EvalInputs.summary(in));
        EvalInputs.print(out(), described);
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"family", "setting", "ratio", "output", "cosine", "max abs error"});
        for (Point p : points) {
            rows.add(new String[] {
                p.family(),
                p.setting(),
                String.format(Locale.ROOT, "%.3f", p.ratio()),
                p.output(),
                String.format(Locale.ROOT, "%.9f", p.cosine()),
                String.format(Locale.ROOT, "%.3g", p.maxAbsError())
            });
        }
        AnalyzeCommand.table(out(), rows);
        out().flush();
        return 0;
    }

    /** Ratio against cosine, a line per family in the order swept. */
    static JFreeChart chart(String model, List<Point> points) {
        Map<String, List<Charts.Point>> byFamily = new LinkedHashMap<>();
        for (Point p : points) {
            byFamily.computeIfAbsent(p.family(), k -> new ArrayList<>())
                    .add(new Charts.Point(p.ratio(), p.cosine(), p.setting()));
        }
        return Charts.lines(
                "Compression ratio against output fidelity: " + model,
                "compression ratio (log scale)",
                "cosine similarity of the output that changed most",
                byFamily.entrySet().stream()
                        .map(e -> new Charts.Points(e.getKey(), e.getValue()))
                        .toList());
    }
}
