package dev.elfz.bench;

import dev.elfz.codec.kmeans.Kmeans;
import dev.elfz.codec.prune.MagnitudeSelect;
import dev.elfz.kernel.ElfType;
import dev.elfz.safetensors.SafetensorsFile;
import dev.elfz.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The single-thread targets on a real model: the global pruning threshold over every prunable tensor
 * (rank >= 2, >= 4096 values), and 4-bit k-means on each of them. Best of {@code ROUNDS} after one warm-up,
 * printed as Markdown rows.
 *
 * <pre>LossyTimings FILE.safetensors ROUNDS</pre>
 */
public final class LossyTimings {

    private LossyTimings() {}

    public static void main(String[] args) throws IOException {
        int rounds = Integer.parseInt(args[1]);
        try (SafetensorsFile f = SafetensorsFile.open(Path.of(args[0]))) {
            List<MagnitudeSelect.Values> parts = new ArrayList<>();
            List<Kmeans.Values> tensors = new ArrayList<>();
            long values = 0;
            for (TensorInfo t : f.tensors()) {
                ElfType type = t.dtype().elfType();
                if (type != null && t.shape().length >= 2 && t.elements() >= 4096) {
                    parts.add(new MagnitudeSelect.Values(type, f.data(t), f.path())); // as the planner reads them
                    tensors.add(new Kmeans.Values(type, f.data(t), f.path()));
                    values += t.elements();
                }
            }
            double select = Double.MAX_VALUE;
            double kmeans = Double.MAX_VALUE;
            for (int r = -1; r < rounds; r++) {
                long t0 = System.nanoTime();
                MagnitudeSelect.threshold(parts, 0.5);
                long t1 = System.nanoTime();
                for (Kmeans.Values v : tensors) {
                    Kmeans.fit(List.of(v), 4, 0);
                }
                long t2 = System.nanoTime();
                if (r >= 0) {
                    select = Math.min(select, (t1 - t0) / 1e9);
                    kmeans = Math.min(kmeans, (t2 - t1) / 1e9);
                }
            }
            System.out.printf(
                    "| global threshold, 50%%, %d tensors, %.1fM values | %.2f s | <= 1 s |%n",
                    parts.size(), values / 1e6, select);
            System.out.printf("| 4-bit k-means on each of them | %.2f s | <= 10 s |%n", kmeans);
        }
    }
}
