package dev.elfz.bench;

import dev.elfz.kernel.Kernel;
import dev.elfz.kernel.Kernels;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The entropy stage on BERT-base's real byte planes, as the lossless codec cuts them: each 1 MiB chunk of float32
 * weights rotated and split into 4 planes of 256 KiB (FORMAT.md, "lossless"). Every plane is encoded and decoded
 * by each kernel named, {@code passes} times over the same planes; GB/s of plane bytes per direction (input of
 * encode, output of decode) in the thread's CPU time, so that other processes on the machine weigh less, median
 * and best pass after 5 unmeasured ones, per plane; plane 3 holds the exponents, the one Huffman really codes. Checks that every kernel writes the same bytes and decodes them back.
 *
 * <pre>
 * java -cp benchmarks.jar -Delfz.bert.jar=JAR dev.elfz.bench.EntropyPlanes [MiB [passes [kernel...]]]
 * </pre>
 *
 * Defaults: 32 MiB of weights (128 planes), 15 passes, kernels native (its best ISA) and java-scalar. {@code benchmarks/entropy.sh}
 * runs it.
 */
public final class EntropyPlanes {

    private static final long CHUNK = 1 << 20;
    private static final int PLANES = 4;
    /** Passes before the measured ones, for the JIT (the first pass also checks the decoded bytes). */
    private static final int WARM_UP = 5;

    private EntropyPlanes() {}

    public static void main(String[] args) throws IOException {
        long mib = args.length > 0 ? Long.parseLong(args[0]) : 32;
        int passes = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        List<String> kernels =
                args.length > 2 ? Arrays.asList(args).subList(2, args.length) : List.of("native", "java-scalar");
        try (Arena arena = Arena.ofConfined()) {
            long chunks = mib;
            long planeBytes = CHUNK / 4;
            MemorySegment weights = KernelBench.weights("bert", chunks * CHUNK / 4, arena);
            MemorySegment planes = arena.allocate(chunks * CHUNK, 64);
            Kernel split = KernelBench.kernel("java-scalar");
            for (long c = 0; c < chunks; c++) {
                split.planesSplit(weights.asSlice(c * CHUNK, CHUNK), planeBytes, 4, true, planes.asSlice(c * CHUNK));
            }
            long bound = Kernel.entropyBound(planeBytes);
            MemorySegment stored = arena.allocate(chunks * PLANES * bound, 64);
            MemorySegment out = arena.allocate(planeBytes, 64);
            long[] sizes = new long[(int) (chunks * PLANES)];
            MemorySegment first = null;
            System.out.printf(
                    "BERT-base f32, %d MiB: %d planes of %d bytes, %d passes; GB/s median (best)%n",
                    mib, sizes.length, planeBytes, passes);
            for (String name : kernels) {
                ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
                Kernel kernel = name.equals("native") ? Kernels.named(name) : KernelBench.kernel(name);
                double[][] enc = new double[PLANES][passes], dec = new double[PLANES][passes];
                for (int pass = -WARM_UP; pass < passes; pass++) {
                    for (int b = 0; b < PLANES; b++) {
                        long t = cpu.getCurrentThreadCpuTime();
                        for (long c = 0; c < chunks; c++) {
                            int k = (int) (c * PLANES + b);
                            sizes[k] = kernel.entropyEncode(
                                    planes.asSlice(k * planeBytes, planeBytes),
                                    planeBytes,
                                    stored.asSlice(k * bound, bound));
                        }
                        enc[b][Math.max(pass, 0)] = chunks * planeBytes / (double) (cpu.getCurrentThreadCpuTime() - t);
                        t = cpu.getCurrentThreadCpuTime();
                        for (long c = 0; c < chunks; c++) {
                            int k = (int) (c * PLANES + b);
                            kernel.entropyDecode(stored.asSlice(k * bound, sizes[k]), planeBytes, out);
                            if (pass == -WARM_UP && out.mismatch(planes.asSlice(k * planeBytes, planeBytes)) >= 0) {
                                throw new IllegalStateException(name + ": plane " + k + " does not decode back");
                            }
                        }
                        dec[b][Math.max(pass, 0)] = chunks * planeBytes / (double) (cpu.getCurrentThreadCpuTime() - t);
                    }
                }
                MemorySegment bytes = arena.allocate(stored.byteSize()).copyFrom(stored);
                if (first == null) {
                    first = bytes;
                } else if (first.mismatch(bytes) >= 0) {
                    throw new IllegalStateException(name + " writes other bytes than " + kernels.get(0));
                }
                List<String> cells = new ArrayList<>();
                long in = 0, coded = 0;
                for (int b = 0; b < PLANES; b++) {
                    long planeCoded = 0;
                    for (long c = 0; c < chunks; c++) {
                        planeCoded += sizes[(int) (c * PLANES + b)];
                    }
                    in += chunks * planeBytes;
                    coded += planeCoded;
                    cells.add(String.format(
                            "plane %d (%.3f): encode %s, decode %s",
                            b, planeCoded / (double) (chunks * planeBytes), rate(enc[b]), rate(dec[b])));
                }
                System.out.printf("%s (all planes %.4f of their size)%n", kernel.name(), coded / (double) in);
                cells.forEach(c -> System.out.println("  " + c));
            }
        }
    }

    /** "median (best)" of GB/s figures. */
    private static String rate(double[] gbps) {
        double[] s = gbps.clone();
        Arrays.sort(s);
        return String.format("%.2f (%.2f)", s[s.length / 2], s[s.length - 1]);
    }
}
