package dev.elfz.bench;

import dev.elfz.analyze.Analysis;
import dev.elfz.analyze.SegmentHash;
import dev.elfz.io.Pages;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code elfz analyze}'s speed without the JVM's start and warm-up: the hashing alone on one thread (XXH3-64 of
 * every 512-byte chunk, read as the analysis reads it: a 1 MiB window copied to the heap, then hashed; the pages
 * mapped beforehand, untimed), and the
 * whole analysis ({@code Analysis.run}, estimate included) on 1 and 2 threads; the median of the rounds after a
 * warm-up round. Prints Markdown table rows: what, threads, MB/s, seconds.
 *
 * <pre>AnalyzeThroughput FILE.safetensors|DIR ROUNDS</pre>
 */
public final class AnalyzeThroughput {

    private AnalyzeThroughput() {}

    public static void main(String[] args) throws IOException {
        Path in = Path.of(args[0]);
        int rounds = Integer.parseInt(args[1]);
        long bytes = 0;
        double[] hash = new double[rounds];
        double[][] whole = new double[2][rounds];
        for (int r = -1; r < rounds; r++) { // round -1 warms up
            long[] total = new long[1];
            long nanos = hashAll(in, total);
            bytes = total[0];
            if (r >= 0) {
                hash[r] = nanos / 1e9;
            }
            for (int threads = 1; threads <= 2; threads++) {
                long t = System.nanoTime();
                new Analysis(Analysis.Options.defaults().withThreads(threads)).run(List.of(in));
                if (r >= 0) {
                    whole[threads - 1][r] = (System.nanoTime() - t) / 1e9;
                }
            }
        }
        row("hashing: XXH3-64 of each 512-byte chunk", 1, bytes, median(hash));
        for (int threads = 1; threads <= 2; threads++) {
            row("the whole analysis, estimate included", threads, bytes, median(whole[threads - 1]));
        }
    }

    /**
     * Hashes the tensors of every safetensors file under {@code in} as the analysis does; returns the nanoseconds
     * of the copies and hashes (not of mapping the pages, timed in the whole analysis), their bytes in total[0].
     */
    private static long hashAll(Path in, long[] total) throws IOException {
        long bytes = 0, sink = 0, nanos = 0;
        for (Path f : Analysis.files(List.of(in))) {
            try (SafetensorsFile s = SafetensorsFile.open(f)) {
                for (TensorInfo t : s.tensors()) {
                    MemorySegment data = s.data(t);
                    for (long w = 0; w < data.byteSize(); w += SegmentHash.PIECE) {
                        int n = (int) Math.min(SegmentHash.PIECE, data.byteSize() - w);
                        Pages.populate(data.asSlice(w, n)); // as the analysis maps a window's pages
                        long start = System.nanoTime();
                        byte[] heap = SegmentHash.heap(data, w, n);
                        for (int o = 0; o < n; o += Analysis.FIXED_SMALL) {
                            sink ^= SegmentHash.chunk(heap, o, Math.min(Analysis.FIXED_SMALL, n - o));
                        }
                        nanos += System.nanoTime() - start;
                    }
                    bytes += data.byteSize();
                }
            }
        }
        if (sink == 42) {
            System.out.print(""); // keeps the hashes from being optimised away
        }
        total[0] = bytes;
        return nanos;
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static void row(String what, int threads, long bytes, double seconds) {
        System.out.printf(Locale.ROOT, "| %s | %d | %.0f | %.2f |%n", what, threads, bytes / 1e6 / seconds, seconds);
    }
}
