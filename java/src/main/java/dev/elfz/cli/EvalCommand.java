package dev.elfz.cli;

import dev.elfz.Elfz;
import dev.elfz.ElfzOptions;
import dev.elfz.eval.OnnxEval;
import dev.elfz.io.AtomicFiles;
import dev.elfz.onnx.OnnxFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;

/** elfz eval MODEL.onnx [codec options]: what a codec does to a model's outputs, measured in ONNX Runtime. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Compresses and decompresses MODEL.onnx with the codec options (in a temporary directory), runs "
                + "the original and the result in ONNX Runtime on the same generated inputs and reports, per float "
                + "output, the cosine similarity, max abs and relative error and argmax agreement, and the ratio.")
final class EvalCommand extends WorkCommand {

    @Parameters(index = "0", paramLabel = "MODEL", description = "An .onnx file.")
    Path model;

    @Mixin
    CodecOptions codecs;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "4", description = "Inputs to run (default ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--seq-len", paramLabel = "L", defaultValue = "16",
            description = "Size of every dynamic dimension but a leading batch of 1 (default ${DEFAULT-VALUE}).")
    int sequence;

    @Option(names = "--max-id", paramLabel = "M", defaultValue = "1000",
            description = "Integer inputs other than masks, token types and positions are ids in [0, M) (default ${DEFAULT-VALUE}).")
    long maxId;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Seed of the inputs (default ${DEFAULT-VALUE}).")
    long seed;

    /** One float output compared; {@code argmaxAgreement} absent when its last axis has fewer than 2 values. */
    record Row(String name, long[] shape, double cosine, double maxAbsError, double maxRelError, Double argmaxAgreement) {}

    /** The --json summary. */
    record Summary(String model, String codec, long inputBytes, long compressedBytes, double ratio, int samples,
                   int sequence, long maxId, long seed, List<Row> outputs) {}

    @Override
    public Integer call() throws IOException {
        if (!model.toString().endsWith(OnnxFile.SUFFIX)) {
            throw new ParameterException(spec.commandLine(), "MODEL must be an .onnx file, not " + model);
        }
        OnnxEval.Inputs inputs;
        try {
            inputs = new OnnxEval.Inputs(samples, sequence, maxId, seed);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--samples, --seq-len and --max-id must be positive");
        }
        Path source = existing(model);
        ElfzOptions o = codecs.apply(options(shown(model)));
        Path tmp = Files.createTempDirectory("elfz-eval");
        List<OnnxEval.Output> outputs;
        long compressed;
        try {
            Path z = tmp.resolve("model.onnx.elfz");
            Path back = tmp.resolve("model.onnx");
            Elfz.compress(source, z, o);
            compressed = Files.size(z);
            Elfz.decompress(z, back, o);
            outputs = OnnxEval.compare(source, back, inputs);
        } catch (NoClassDefFoundError e) {
            throw new IOException("elfz eval needs ONNX Runtime (com.microsoft.onnxruntime:onnxruntime) on the class path", e);
        } finally {
            AtomicFiles.deleteRecursively(tmp);
        }
        long size = Files.size(source);
        List<Row> rows = outputs.stream().map(x -> new Row(x.name(), x.shape(), x.cosine(), x.maxAbsError(),
                x.maxRelError(), Double.isNaN(x.argmaxAgreement()) ? null : x.argmaxAgreement())).toList();
        String codec = codecs.codec.name().toLowerCase(Locale.ROOT);
        if (json) {
            printJson(new Summary(model.toString(), codec, size, compressed, Units.ratio(size, compressed), samples,
                    sequence, maxId, seed, rows));
            return 0;
        }
        out().printf(Locale.ROOT, "%s: %s, ratio %.4f (%s => %s); %d inputs, dynamic dimensions %d%n", shown(model),
                codec, Units.ratio(size, compressed), Units.bytes(size), Units.bytes(compressed), samples, sequence);
        out().printf(Locale.ROOT, "%-24s %-16s %16s %12s %12s %8s%n", "output", "shape", "cosine", "max abs", "max rel",
                "argmax");
        for (Row r : rows) {
            out().printf(Locale.ROOT, "%-24s %-16s %16.12f %12.3g %12.3g %8s%n", r.name(), java.util.Arrays.toString(r.shape()),
                    r.cosine(), r.maxAbsError(), r.maxRelError(),
                    r.argmaxAgreement() == null ? "-" : String.format(Locale.ROOT, "%.4f", r.argmaxAgreement()));
        }
        out().flush();
        return 0;
    }
}
