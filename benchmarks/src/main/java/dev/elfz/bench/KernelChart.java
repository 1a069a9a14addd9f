package dev.elfz.bench;

import dev.elfz.bench.KernelReport.Result;
import dev.elfz.chart.Charts;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.title.TextTitle;

/**
 * The kernel chart (benchmarks/results/kernels.png): native vs JVM, GB/s per kernel operation, a bar per
 * implementation, horizontal bars ({@link Charts#groupedBars}). One size and memory of the run: the largest size,
 * mapped memory (the product's case) where measured, BERT data where measured; the subtitle says which.
 */
final class KernelChart {

    private static final Map<String, String> SHORT = Map.of(
            "ElfKernelBenchmark",
            "ELF",
            "QuantKernelBenchmark",
            "quantize",
            "PackBenchmark",
            "bit pack",
            "KMeansBenchmark",
            "k-means",
            "PlanesBenchmark",
            "planes",
            "GridBenchmark",
            "grid",
            "EntropyBenchmark",
            "entropy",
            "PruneBenchmark",
            "prune");

    private static final List<String> ORDER = List.of(
            "ElfKernelBenchmark",
            "PackBenchmark",
            "QuantKernelBenchmark",
            "KMeansBenchmark",
            "PlanesBenchmark",
            "GridBenchmark",
            "EntropyBenchmark",
            "PruneBenchmark");

    private KernelChart() {}

    /** The params the chart fixes and their chosen values; a result without such a param passes. */
    record Selection(String size, String memory, String data) {

        boolean accepts(Result r) {
            return is(r, "size", size) && is(r, "memory", memory) && is(r, "data", data);
        }

        private static boolean is(Result r, String param, String value) {
            String v = r.params().get(param);
            return v == null || value == null || v.equals(value);
        }

        String describe() {
            List<String> parts = new ArrayList<>();
            if (size != null) {
                parts.add(size + " per call");
            }
            if (data != null) {
                parts.add(data.equals("bert") ? "BERT-base weights" : data + " data");
            }
            if (memory != null) {
                parts.add(memory + " memory");
            }
            return String.join(", ", parts);
        }
    }

    static Selection select(List<Result> results) {
        Optional<String> size = values(results, "size").stream().max(KernelReport::compareValues);
        List<String> memories = values(results, "memory"), data = values(results, "data");
        return new Selection(
                size.orElse(null),
                memories.contains("mapped")
                        ? "mapped"
                        : memories.stream().findFirst().orElse(null),
                data.contains("bert") ? "bert" : data.stream().findFirst().orElse(null));
    }

    private static List<String> values(List<Result> results, String param) {
        return results.stream()
                .map(r -> r.params().get(param))
                .filter(v -> v != null)
                .distinct()
                .sorted()
                .toList();
    }

    /** A category's name: the short kernel name, the benchmark's own params but data (numbers as key=value), the op. */
    static String category(Result r) {
        List<String> parts = new ArrayList<>(List.of(SHORT.getOrDefault(r.bench(), r.bench())));
        r.params().forEach((k, v) -> {
            if (!List.of("data", "size", "memory").contains(k)) {
                parts.add(Character.isDigit(v.charAt(0)) ? k + "=" + v : v);
            }
        });
        parts.add(r.op());
        return String.join(" ", parts);
    }

    static JFreeChart chart(List<Result> results) {
        Selection sel = select(results);
        // category (in benchmark order, then by params and op) -> impl -> GB/s
        Map<List<String>, String> names =
                new TreeMap<>(Comparator.comparingInt((List<String> k) -> Integer.parseInt(k.get(0)))
                        .thenComparing(k -> k.subList(1, k.size()), KernelReport::compareRows));
        Map<String, Map<String, Double>> gbps = new TreeMap<>();
        for (Result r : results) {
            if (!sel.accepts(r)) {
                continue;
            }
            List<String> key = new ArrayList<>();
            key.add(String.valueOf(ORDER.contains(r.bench()) ? ORDER.indexOf(r.bench()) : ORDER.size()));
            key.add(r.bench());
            key.addAll(r.params().values());
            key.add(r.op());
            String name = category(r);
            names.put(key, name);
            gbps.computeIfAbsent(name, k -> new TreeMap<>()).put(r.impl(), r.gbps());
        }
        List<String> categories = List.copyOf(names.values());
        List<String> impls = KernelReport.IMPLS.stream()
                .filter(i -> gbps.values().stream().anyMatch(m -> m.containsKey(i)))
                .toList();
        double[][] values = new double[impls.size()][categories.size()];
        for (int s = 0; s < impls.size(); s++) {
            for (int c = 0; c < categories.size(); c++) {
                values[s][c] = gbps.get(categories.get(c)).getOrDefault(impls.get(s), Double.NaN);
            }
        }
        JFreeChart chart = Charts.groupedBars(
                "elfz kernels, native vs JVM: GB/s, one thread", null, "GB/s", impls, categories, values, true);
        chart.addSubtitle(new TextTitle(sel.describe() + "; JMH, benchmarks/run.sh"));
        return Charts.style(chart);
    }

    /** Height for {@code categories} groups of {@code series} bars: about 8 pixels a bar. */
    static int height(int categories, int series) {
        return Math.max(400, 160 + categories * (8 * Math.max(series, 1) + 12));
    }

    static void save(List<Result> results, Path png) throws IOException {
        JFreeChart chart = chart(results);
        var data = chart.getCategoryPlot().getDataset();
        Charts.save(chart, png, Charts.WIDTH, height(data.getColumnCount(), data.getRowCount()));
    }
}
