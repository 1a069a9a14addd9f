package dev.elfz.cli;

import dev.elfz.ElfzOptions;
import dev.elfz.eval.OnnxEval;
import dev.elfz.onnx.OnnxFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** elfz eval MODEL.onnx [codec options]: what a codec does to a model's outputs, measured in ONNX Runtime. */
@Command(
        name = "eval",
        mixinStandardHelpOptions = true,
        description = "Compresses MODEL.onnx with the codec options (into a temporary archive), runs "
                + "the original and the model straight from the archive in ONNX Runtime on the same inputs (generated, or the user's --input "
                + "files) and reports, per float output, the cosine similarity, max abs and relative error and argmax "
                + "agreement, and the ratio.")
final class EvalCommand extends WorkCommand {

    @Parameters(index = "0", paramLabel = "MODEL", description = "An .onnx file.")
    Path model;

    @Mixin
    CodecOptions codecs;

    @Mixin
    EvalInputs inputs;

    /** One float output compared; {@code argmaxAgreement} absent when its last axis has fewer than 2 values. */
    record Row(
            String name, long[] shape, double cosine, double maxAbsError, double maxRelError, Double argmaxAgreement) {}

    /**
     * The --json summary; {@code sequence} and {@code seed} absent with --input, {@code maxId} unless given.
     *
     * @param inputs per model input, what it held (as the text report says)
     */
    record Summary(
            String model,
            String codec,
            long inputBytes,
            long compressedBytes,
            double ratio,
            int samples,
            Integer sequence,
            Long maxId,
            Long seed,
            Map<String, String> inputs,
            List<Row> outputs) {}

    @Override
    public Integer call() throws IOException {
        if (!model.toString().endsWith(OnnxFile.SUFFIX)) {
            throw new ParameterException(spec.commandLine(), "MODEL must be an .onnx file, not " + model);
        }
        OnnxEval.Inputs in = inputs.get(spec);
        Path source = existing(model);
        ElfzOptions o = codecs.apply(options(shown(model)));
        OnnxEval.Trial trial = EvalInputs.trial("eval", source, o, in);
        List<OnnxEval.Output> outputs = trial.outputs();
        Map<String, String> described = trial.comparison().inputs();
        long compressed = trial.compressedBytes();
        long size = trial.inputBytes(); // the model and its external data files
        List<Row> rows = outputs.stream()
                .map(x -> new Row(
                        x.name(),
                        x.shape(),
                        x.cosine(),
                        x.maxAbsError(),
                        x.maxRelError(),
                        Double.isNaN(x.argmaxAgreement()) ? null : x.argmaxAgreement()))
                .toList();
        String codec = codecs.codec.name().toLowerCase(Locale.ROOT);
        if (json) {
            boolean given = in.given();
            printJson(new Summary(
                    model.toString(),
                    codec,
                    size,
                    compressed,
                    Units.ratio(size, compressed),
                    in.samples(),
                    given ? null : in.sequence(),
                    in.maxId() > 0 ? in.maxId() : null,
                    given ? null : in.seed(),
                    described,
                    rows));
            return 0;
        }
        out().printf(
                        Locale.ROOT,
                        "%s: %s, ratio %.4f (%s => %s); %s%n",
                        shown(model),
                        codec,
                        Units.ratio(size, compressed),
                        Units.bytes(size),
                        Units.bytes(compressed),
                        EvalInputs.summary(in));
        EvalInputs.print(out(), described);
        out().printf(
                        Locale.ROOT,
                        "%-24s %-16s %16s %12s %12s %8s%n",
                        "output",
                        "shape",
                        "cosine",
                        "max abs",
                        "max rel",
                        "argmax");
        for (Row r : rows) {
            out().printf(
                            Locale.ROOT,
                            "%-24s %-16s %16.12f %12.3g %12.3g %8s%n",
                            r.name(),
                            Arrays.toString(r.shape()),
                            r.cosine(),
                            r.maxAbsError(),
                            r.maxRelError(),
                            r.argmaxAgreement() == null
                                    ? "-"
                                    : String.format(Locale.ROOT, "%.4f", r.argmaxAgreement()));
        }
        out().flush();
        return 0;
    }
}
