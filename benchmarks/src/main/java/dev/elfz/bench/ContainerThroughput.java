package dev.elfz.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.elfz.CodecChoice;
import dev.elfz.Elfz;
import dev.elfz.ElfzOptions;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * The library's own speed, without the JVM's start: {@code Elfz.compress} and {@code decompress} of one file in a
 * warm JVM, for each case, median of the rounds after one warm-up round (fsync included, as the CLI).
 * Prints one Markdown table row per case: mode, threads, chunk size, ratio, compress and decompress MB/s, seconds, and
 * the compression's MB per CPU second of the whole process (every thread: a figure that a busy machine disturbs
 * less than wall time, as long as the process gets its cores).
 * A mode is a codec choice ({@code elf}, {@code lossless}, {@code auto}, ...) or {@code bound=E} (--error-bound E).
 *
 * <pre>ContainerThroughput FILE.safetensors WORKDIR ROUNDS MODE:THREADS:CHUNK_BYTES...</pre>
 */
public final class ContainerThroughput {

    private ContainerThroughput() {}

    public static void main(String[] args) throws IOException {
        Path in = Path.of(args[0]);
        Path z = Path.of(args[1]).resolve("throughput.elfz");
        Path back = Path.of(args[1]).resolve("throughput.out");
        int rounds = Integer.parseInt(args[2]);
        double mb = Files.size(in) / 1e6;
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        for (int a = 3; a < args.length; a++) {
            String[] c3 = args[a].split(":");
            String mode = c3[0];
            int threads = Integer.parseInt(c3[1]);
            long chunk = Long.parseLong(c3[2]);
            ElfzOptions o = ElfzOptions.defaults()
                    .withThreads(threads)
                    .withChunkBytes(chunk)
                    .withOverwrite(true);
            o = mode.startsWith("bound=")
                    ? o.withErrorBound(Double.parseDouble(mode.substring(6)))
                    : o.withCodec(CodecChoice.valueOf(mode.toUpperCase(Locale.ROOT)));
            double[] c = new double[rounds];
            double[] d = new double[rounds];
            double[] cpu = new double[rounds];
            for (int r = -1; r < rounds; r++) { // round -1 warms up
                long cpu0 = os.getProcessCpuTime();
                long t0 = System.nanoTime();
                Elfz.compress(in, z, o);
                long t1 = System.nanoTime();
                long cpu1 = os.getProcessCpuTime();
                Elfz.decompress(z, back, o);
                long t2 = System.nanoTime();
                if (r >= 0) {
                    c[r] = (t1 - t0) / 1e9;
                    d[r] = (t2 - t1) / 1e9;
                    cpu[r] = (cpu1 - cpu0) / 1e9;
                }
            }
            System.out.printf(
                    Locale.ROOT,
                    "| %s | %s | %d | %d KiB | %.4f | %.0f | %.0f | %.2f / %.2f | %.0f |%n",
                    in.getFileName(),
                    mode.startsWith("bound=") ? "--error-bound " + mode.substring(6) : "--codec " + mode,
                    threads,
                    chunk >> 10,
                    mb * 1e6 / Files.size(z),
                    mb / median(c),
                    mb / median(d),
                    median(c),
                    median(d),
                    mb / median(cpu));
        }
        Files.deleteIfExists(z);
        Files.deleteIfExists(back);
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
