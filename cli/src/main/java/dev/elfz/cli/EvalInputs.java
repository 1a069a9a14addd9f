package dev.elfz.cli;

import dev.elfz.ElfzOptions;
import dev.elfz.eval.OnnxEval;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The inputs `eval` and `sweep` run a model on: generated (how many, how long, which ids, which seed), or the
 * user's files, one per model input, as one sample.
 */
final class EvalInputs {

    @Option(
            names = "--samples",
            paramLabel = "N",
            defaultValue = "4",
            description = "Inputs to generate (default ${DEFAULT-VALUE}).")
    int samples;

    @Option(
            names = "--seq-len",
            paramLabel = "L",
            defaultValue = "16",
            description = "Size of every dynamic dimension but a leading batch of 1 (default ${DEFAULT-VALUE}).")
    int sequence;

    @Option(
            names = "--max-id",
            paramLabel = "M",
            description = "Integer inputs other than masks, token types and positions are ids in [0, M) (default: the "
                    + "rows of the embedding table the input indexes in the graph, else 1000).")
    Long maxId;

    @Option(
            names = "--seed",
            paramLabel = "S",
            defaultValue = "1",
            description = "Seed of the inputs (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--input",
            paramLabel = "NAME=FILE",
            description = "Run on this tensor for input NAME instead (repeat for every input of the model): a NumPy "
                    + ".npy file (np.save) or a .json nested array such as [[101, 2023, 102]], converted to the "
                    + "input's type; its shape is the file's. The given files are one sample.")
    Map<String, Path> files;

    /** The options that shape generated inputs: refused with --input. */
    private static final List<String> GENERATION = List.of("--samples", "--seq-len", "--max-id", "--seed");

    /** The inputs, or a usage error of {@code spec}'s command. */
    OnnxEval.Inputs get(CommandSpec spec) {
        if (files != null && !files.isEmpty()) {
            List<String> both = GENERATION.stream()
                    .filter(o -> spec.commandLine().getParseResult().hasMatchedOption(o))
                    .toList();
            if (!both.isEmpty()) {
                throw new ParameterException(
                        spec.commandLine(), String.join(", ", both) + " generate inputs: not with --input");
            }
            // picocli keeps the last of two NAME=FILE with one NAME: a typo would silently drop a file
            List<String> names =
                    spec.commandLine().getParseResult().matchedOption("--input").originalStringValues().stream()
                            .map(v -> v.substring(0, Math.max(0, v.indexOf('='))))
                            .toList();
            names.stream()
                    .filter(n -> names.indexOf(n) != names.lastIndexOf(n))
                    .findFirst()
                    .ifPresent(n -> {
                        throw new ParameterException(spec.commandLine(), "--input " + n + " given twice");
                    });
            return OnnxEval.Inputs.given(new LinkedHashMap<>(files));
        }
        if (samples < 1 || sequence < 1 || (maxId != null && maxId < 1)) {
            throw new ParameterException(spec.commandLine(), "--samples, --seq-len and --max-id must be positive");
        }
        return OnnxEval.Inputs.generated(samples, sequence, maxId == null ? 0 : maxId, seed);
    }

    /** "4 inputs, dynamic dimensions 16" or "the --input files", for the text reports' first line. */
    static String summary(OnnxEval.Inputs in) {
        return in.given()
                ? "1 sample from the --input files"
                : in.samples() + " inputs, dynamic dimensions " + in.sequence();
    }

    /** {@link OnnxEval#trial}, or a one-line error when ONNX Runtime is missing from the class path. */
    static OnnxEval.Trial trial(String command, Path model, ElfzOptions options, OnnxEval.Inputs in)
            throws IOException {
        try {
            return OnnxEval.trial(model, options, in);
        } catch (NoClassDefFoundError e) {
            throw new IOException(
                    "elfz " + command + " needs ONNX Runtime (com.microsoft.onnxruntime:onnxruntime) on "
                            + "the class path",
                    e);
        }
    }

    /** What each model input held, a line each, for the text reports. */
    static void print(PrintWriter out, Map<String, String> inputs) {
        int width = inputs.keySet().stream().mapToInt(String::length).max().orElse(0);
        inputs.forEach((name, what) -> out.printf("  %-" + width + "s  %s%n", name, what));
    }
}
