package dev.elfz.cli;

import dev.elfz.elf.ElfChunkCodec;
import dev.elfz.kernel.ElfType;
import dev.elfz.kernel.Kernel;
import dev.elfz.kernel.Kernels;
import dev.elfz.kernel.NativeKernel;
import dev.elfz.samples.SyntheticWeights;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Compresses a generated BERT-like float32 tensor set with ELF on every kernel this process can run and
 * prints the ratio, speed (one thread) and maximum error of each, chunk by chunk as the container codes
 * them ({@code elfz compress} does real checkpoints). The tensors follow real weights' shape: Gaussian matrices with a few outliers,
 * small biases, LayerNorm gains near 1 (which ELF keeps as exceptions).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "ELF on a generated model-like float32 tensor set, on every kernel: ratio, MB/s, max error.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--hidden", defaultValue = "512", description = "Hidden size (default ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--layers", defaultValue = "4", description = "Transformer layers (default ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--vocab", defaultValue = "16384", description = "Embedding rows (default ${DEFAULT-VALUE}).")
    int vocab;

    @Option(names = "--rounds", defaultValue = "5", description = "Timed rounds, best kept (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Spec
    CommandSpec spec;

    private static final long BLOCK = 1 << 18; // 1 MiB of float32 per block

    @Override
    public Integer call() {
        if (hidden < 1 || layers < 0 || vocab < 1 || rounds < 1) {
            throw new ParameterException(spec.commandLine(), "--hidden, --vocab and --rounds must be positive, --layers >= 0");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Arena arena = Arena.ofConfined()) {
            List<MemorySegment> tensors = modelLike(arena);
            long bytes = tensors.stream().mapToLong(MemorySegment::byteSize).sum();
            out.printf("model-like float32 tensor set: %d tensors, %.1f MB (hidden %d, %d layers, vocab %d, seed %d)%n",
                    tensors.size(), bytes / 1e6, hidden, layers, vocab, seed);
            out.printf("default kernel: %s; ELF bound 2^-24 = %.3g; one thread, best of %d rounds%n%n",
                    Kernels.best().name(), ElfType.F32.errorBound(), rounds);
            out.printf("%-14s %7s %12s %12s %11s %10s%n", "kernel", "ratio", "encode MB/s", "decode MB/s",
                    "max error", "exceptions");
            Result last = null;
            for (Kernel k : Kernels.available()) {
                if (k instanceof NativeKernel) { // every ISA of this CPU, best last so it stays selected
                    for (String isa : NativeKernel.supportedIsas()) {
                        NativeKernel.selectIsa(isa);
                        last = report(out, k, measure(k, tensors, arena), bytes);
                    }
                } else {
                    last = report(out, k, measure(k, tensors, arena), bytes);
                }
            }
            out.println();
            out.println("ratio = float32 bytes / stored bytes: per 1 MiB chunk a 4-byte count, 24-bit codes and 8 bytes");
            out.printf("per exception; %d chunks ELF cannot shrink (LayerNorm gains) stored as they are. All values checked.%n",
                    last.rawChunks());
        }
        return 0;
    }

    private static Result report(PrintWriter out, Kernel k, Result r, long bytes) {
        out.printf("%-14s %7.4f %12.0f %12.0f %11.3g %10d%n", k.name(), (double) bytes / r.stored,
                bytes / 1e6 / r.encodeSeconds, bytes / 1e6 / r.decodeSeconds, r.maxError, r.exceptions);
        out.flush();
        if (r.maxError > ElfType.F32.errorBound() || r.inexactExceptions > 0) {
            throw new IllegalStateException(k.name() + " broke the bound: max error " + r.maxError
                    + ", " + r.inexactExceptions + " exceptions not restored");
        }
        return r;
    }

    private record Result(long stored, long exceptions, long rawChunks, double encodeSeconds, double decodeSeconds,
                          double maxError, long inexactExceptions) {
    }

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

    /** Embeddings, then per layer: Q K V O, two feed-forward matrices, their biases, two LayerNorms. */
    private List<MemorySegment> modelLike(Arena arena) {
        SplittableRandom r = new SplittableRandom(seed);
        List<MemorySegment> tensors = new ArrayList<>();
        tensors.add(SyntheticWeights.gaussian(arena, r, (long) vocab * hidden, 0, 0.04));
        for (int l = 0; l < layers; l++) {
            for (int m = 0; m < 4; m++) {
                tensors.add(SyntheticWeights.gaussian(arena, r, (long) hidden * hidden, 0, 0.04));
                tensors.add(SyntheticWeights.gaussian(arena, r, hidden, 0, 0.01));
            }
            tensors.add(SyntheticWeights.gaussian(arena, r, (long) hidden * 4 * hidden, 0, 0.03));
            tensors.add(SyntheticWeights.gaussian(arena, r, 4L * hidden, 0, 0.01));
            tensors.add(SyntheticWeights.gaussian(arena, r, (long) hidden * 4 * hidden, 0, 0.03));
            tensors.add(SyntheticWeights.gaussian(arena, r, hidden, 0, 0.01));
            for (int norm = 0; norm < 2; norm++) {
                tensors.add(SyntheticWeights.gaussian(arena, r, hidden, 0.9, 0.1)); // gain: about a third >= 1
                tensors.add(SyntheticWeights.gaussian(arena, r, hidden, 0, 0.02));
            }
        }
        return tensors;
    }
}
