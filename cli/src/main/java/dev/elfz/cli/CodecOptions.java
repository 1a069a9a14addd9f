package dev.elfz.cli;

import dev.elfz.CodecChoice;
import dev.elfz.ElfzOptions;
import dev.elfz.Granularity;
import dev.elfz.LossyOptions;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** How to code the weights: the options compress and eval share (a picocli mixin). */
final class CodecOptions {

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(
            names = "--codec",
            paramLabel = "auto|elf|lossless|raw|uniform|kmeans",
            defaultValue = "auto",
            converter = CodecConverter.class,
            completionCandidates = CodecNames.class,
            description = "auto: ELF for F32/F64, lossless for F16/BF16, the rest as it is; elf: ELF for every float; "
                    + "lossless: every float bit for bit; raw: everything as it is, no entropy stage; uniform, kmeans: "
                    + "quantize the selected tensors to --bits (the rest as auto). Default ${DEFAULT-VALUE}.")
    CodecChoice codec;

    @Option(
            names = "--error-bound",
            paramLabel = "E",
            description =
                    "Every decoded float within E (absolute) of the original, with the codec that gives the "
                            + "smallest file: a grid of step ~2E for F32/F64 (E >= 2^-20), ELF, or lossless (E = 0, F16, BF16).")
    Double errorBound;

    @Option(
            names = "--bits",
            paramLabel = "N",
            defaultValue = "8",
            description = "Bits per value for uniform and kmeans, 1 to 8 (default ${DEFAULT-VALUE}).")
    int bits;

    @Option(
            names = "--group-size",
            paramLabel = "G",
            description = "uniform: a scale and zero point per G consecutive values (default: one per tensor).")
    Long groupSize;

    @Option(names = "--per-channel", description = "uniform: a scale and zero point per row of axis 0.")
    boolean perChannel;

    @Option(names = "--symmetric", description = "uniform: zero point 0, scale max|w| / (2^(N-1) - 1).")
    boolean symmetric;

    @Option(
            names = "--prune",
            paramLabel = "FRACTION",
            description = "Drop this fraction of the selected values with the smallest |w|, one threshold for all "
                    + "tensors and files; combines with any codec.")
    Double pruneFraction;

    @Option(names = "--prune-threshold", paramLabel = "T", description = "Drop the selected values with |w| < T.")
    Double pruneThreshold;

    @Option(
            names = "--include",
            paramLabel = "GLOB",
            description = "Quantize and prune only tensors whose name matches (repeatable; * stops at /, ** does not).")
    List<String> include = List.of();

    @Option(
            names = "--exclude",
            paramLabel = "GLOB",
            description = "Leave out tensors whose name matches (repeatable).")
    List<String> exclude = List.of();

    @Option(
            names = "--min-elements",
            paramLabel = "N",
            defaultValue = "4096",
            description =
                    "Quantize and prune only tensors of rank >= 2 with at least N values (default ${DEFAULT-VALUE}).")
    long minElements;

    @Option(
            names = "--chunk-size",
            paramLabel = "BYTES",
            defaultValue = "1M",
            converter = Units.SizeConverter.class,
            description = "Input bytes per chunk, e.g. 256K, 1M, 64M (default ${DEFAULT-VALUE}).")
    long chunkBytes;

    /** The codecs as they are typed (the shell completion offers these; the converter takes any case). */
    static final class CodecNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(CodecChoice.values())
                    .map(c -> c.name().toLowerCase(Locale.ROOT))
                    .iterator();
        }
    }

    /** auto, elf or raw, in any case; the error lists them as they are typed. */
    static final class CodecConverter implements ITypeConverter<CodecChoice> {
        @Override
        public CodecChoice convert(String value) {
            try {
                return CodecChoice.valueOf(value.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "' is not auto, elf, lossless, raw, uniform or kmeans");
            }
        }
    }

    /** {@code o} with these choices; a combination that makes no sense is a usage error. */
    ElfzOptions apply(ElfzOptions o) {
        if (chunkBytes < 64 || chunkBytes > ElfzOptions.MAX_CHUNK_BYTES) {
            throw new ParameterException(
                    spec.commandLine(), "--chunk-size must be between 64 bytes and 1G, not " + chunkBytes);
        }
        o = o.withCodec(codec).withChunkBytes(chunkBytes).withLossy(lossy());
        if (errorBound != null) {
            if (errorBound.isNaN()) {
                throw new ParameterException(spec.commandLine(), "--error-bound must be a number >= 0, not NaN");
            }
            try {
                o = o.withErrorBound(errorBound);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--error-bound: " + e.getMessage());
            }
        }
        return o;
    }

    /** The quantization and pruning options; a combination that makes no sense is a usage error. */
    private LossyOptions lossy() {
        boolean uniformOnly = groupSize != null || perChannel || symmetric;
        if (uniformOnly && codec != CodecChoice.UNIFORM) {
            throw new ParameterException(
                    spec.commandLine(), "--group-size, --per-channel and --symmetric need --codec uniform");
        }
        if (groupSize != null && perChannel) {
            throw new ParameterException(spec.commandLine(), "give --group-size or --per-channel, not both");
        }
        Granularity g = perChannel ? Granularity.CHANNEL : groupSize != null ? Granularity.GROUP : Granularity.TENSOR;
        try {
            LossyOptions l = LossyOptions.NONE
                    .withBits(bits)
                    .withGranularity(g, groupSize != null ? groupSize : 32)
                    .withSymmetric(symmetric)
                    .withSelection(include, exclude, minElements);
            if (pruneFraction != null) {
                l = l.withPruneFraction(pruneFraction);
            }
            if (pruneThreshold != null) {
                if (pruneFraction != null) {
                    throw new IllegalArgumentException("give --prune or --prune-threshold, not both");
                }
                l = l.withPruneThreshold(pruneThreshold);
            }
            return l;
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
