package dev.elfz.bench;

import dev.elfz.CodecChoice;
import dev.elfz.Elfz;
import dev.elfz.ElfzOptions;
import dev.elfz.ElfzReader;
import dev.elfz.ElfzTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An application loading a model in process: every tensor of a mapped .elfz through {@code ElfzReader.readInto} into
 * memory it owns (one off-heap block, allocated and touched once, so the rounds measure decoding, not first-touch page
 * faults). The file is compressed once per mode (one thread); then, per thread count, one warm-up round and the median
 * of ROUNDS rounds, each opening the .elfz afresh (a new mapping, its index read and checked). With T threads the tensors, largest first, are taken from a shared counter. Prints one Markdown
 * row per case: mode, threads, ratio, MB/s of original tensor bytes, seconds, and the CPU seconds of the threads per GB.
 *
 * <pre>ReadIntoThroughput FILE.safetensors WORKDIR ROUNDS MODE:THREADS...</pre>
 *
 * A mode is a codec choice ({@code elf}, {@code lossless}, {@code auto}) or {@code bound=E} (--error-bound E).
 */
public final class ReadIntoThroughput {

    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    private ReadIntoThroughput() {}

    public static void main(String[] args) throws Exception {
        Path in = Path.of(args[0]);
        Path z = Path.of(args[1]).resolve("readinto.elfz");
        int rounds = Integer.parseInt(args[2]);
        String compressed = null;
        for (int a = 3; a < args.length; a++) {
            String[] c = args[a].split(":");
            String mode = c[0];
            int threads = Integer.parseInt(c[1]);
            if (!mode.equals(compressed)) {
                ElfzOptions o = ElfzOptions.defaults().withThreads(1).withOverwrite(true);
                o = mode.startsWith("bound=")
                        ? o.withErrorBound(Double.parseDouble(mode.substring(6)))
                        : o.withCodec(CodecChoice.valueOf(mode.toUpperCase(Locale.ROOT)));
                Elfz.compress(in, z, o);
                compressed = mode;
            }
            List<ElfzTensor> tensors;
            try (ElfzReader r = ElfzReader.open(z)) {
                tensors = new ArrayList<>(r.tensors());
            }
            tensors.sort(Comparator.comparingLong(ElfzTensor::byteSize).reversed());
            long total = tensors.stream().mapToLong(ElfzTensor::byteSize).sum();
            try (Arena arena = Arena.ofShared()) {
                MemorySegment all = arena.allocate(total, 64);
                all.fill((byte) 0); // the application's memory, touched once
                List<MemorySegment> dst = new ArrayList<>();
                long at = 0;
                for (ElfzTensor t : tensors) {
                    dst.add(all.asSlice(at, t.byteSize()));
                    at += t.byteSize();
                }
                double[] wall = new double[rounds];
                double[] cpu = new double[rounds];
                for (int round = -1; round < rounds; round++) { // round -1 warms up
                    long[] cpuNs = new long[1];
                    long t0 = System.nanoTime();
                    long c0 = CPU.getCurrentThreadCpuTime();
                    try (ElfzReader r = ElfzReader.open(z)) { // a fresh mapping, as an application loading a model
                        cpuNs[0] += CPU.getCurrentThreadCpuTime() - c0;
                        load(r, tensors, dst, threads, cpuNs);
                    }
                    long t1 = System.nanoTime();
                    if (round >= 0) {
                        wall[round] = (t1 - t0) / 1e9;
                        cpu[round] = cpuNs[0] / 1e9;
                    }
                }
                double s = ContainerThroughput.median(wall);
                System.out.printf(
                        Locale.ROOT,
                        "| %s | %s | %d | %.4f | %.0f | %.3f | %.3f |%n",
                        in.getFileName(),
                        mode.startsWith("bound=") ? "--error-bound " + mode.substring(6) : "--codec " + mode,
                        threads,
                        (double) Files.size(in) / Files.size(z),
                        total / 1e6 / s,
                        s,
                        ContainerThroughput.median(cpu) / (total / 1e9));
            }
        }
        Files.deleteIfExists(z);
    }

    /** Reads every tensor into its slice on {@code threads} threads; adds their CPU time to {@code cpuNs[0]}. */
    private static void load(ElfzReader r, List<ElfzTensor> tensors, List<MemorySegment> dst, int threads, long[] cpuNs)
            throws Exception {
        AtomicInteger next = new AtomicInteger();
        Exception[] failure = new Exception[1];
        Runnable work = () -> {
            long c0 = CPU.getCurrentThreadCpuTime();
            try {
                for (int i; (i = next.getAndIncrement()) < tensors.size(); ) {
                    r.readInto(tensors.get(i), dst.get(i));
                }
            } catch (Exception e) {
                synchronized (failure) {
                    failure[0] = e;
                }
            }
            synchronized (cpuNs) {
                cpuNs[0] += CPU.getCurrentThreadCpuTime() - c0;
            }
        };
        List<Thread> others = new ArrayList<>();
        for (int t = 1; t < threads; t++) {
            others.add(Thread.ofPlatform().start(work));
        }
        work.run();
        for (Thread t : others) {
            t.join();
        }
        if (failure[0] != null) {
            throw failure[0];
        }
    }
}
