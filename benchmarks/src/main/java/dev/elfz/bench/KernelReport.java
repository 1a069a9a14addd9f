package dev.elfz.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns the JMH JSON of the kernel benchmarks ({@link KernelBench}'s subclasses) into Markdown tables, one per
 * benchmark class: GB/s per implementation for every combination of the other params and operation, with JMH's error,
 * plus the machine it ran on; and, given a third file, the chart of {@link KernelChart}.
 *
 * <p>GB/s is JMH's {@code bytes} counter ({@link KernelBench.Bytes}, MB/s) where the run has it, else the primary
 * score (older runs counted bytes as operations).
 *
 * <p>Usage: {@code KernelReport kernels.json kernels.md [kernels.png]}
 */
public final class KernelReport {

    static final List<String> IMPLS =
            List.of("native-avx512", "native-avx2", "native-scalar", "java-vector", "java-scalar");

    /** What a table measures, by benchmark class. */
    private static final Map<String, String> TITLES = Map.ofEntries(
            Map.entry("ElfKernelBenchmark", "ELF kernels, GB/s of float data (input of encode, output of decode)."),
            Map.entry(
                    "QuantKernelBenchmark",
                    "4-bit uniform quantization, GB/s of float32 (input of quantize, output of"
                            + " dequantize); group32: a scale per 32 values, tensor: one scale."),
            Map.entry("PackBenchmark", "Bit packing, GB/s of one-byte codes (input of pack, output of unpack)."),
            Map.entry(
                    "KMeansBenchmark",
                    "4-bit k-means quantization (16 centroids), GB/s of float32 (input of bucketize,"
                            + " output of lookup)."),
            Map.entry(
                    "PlanesBenchmark",
                    "Byte planes (rotated) of BERT's bytes as values of `width` bytes, GB/s of values."),
            Map.entry(
                    "GridBenchmark",
                    "Error-bound grid codes (step = 2 * bound), GB/s of values (input of encode,"
                            + " output of decode)."),
            Map.entry(
                    "EntropyBenchmark",
                    "Entropy stage (Huffman, 4 streams) of the f32 exponent plane, GB/s of plane"
                            + " bytes; one C coder for every ISA and one Java coder for both Java kernels."),
            Map.entry("PruneBenchmark", "Pruning threshold select (radix select of |w|, plain Java), GB/s of values."));

    /** The order of the tables. */
    private static final List<String> BENCHES = List.of(
            "ElfKernelBenchmark",
            "PackBenchmark",
            "QuantKernelBenchmark",
            "KMeansBenchmark",
            "PlanesBenchmark",
            "GridBenchmark",
            "EntropyBenchmark",
            "PruneBenchmark");

    /** Params that are columns after the benchmark's own, in this order; impl is the table's columns. */
    private static final List<String> COMMON = List.of("size", "memory");

    /**
     * One JMH result: the benchmark class's simple name, the operation (method), the params other than impl (data,
     * the benchmark's own in name order, then size and memory), the implementation and GB/s with its error (NaN if none).
     */
    record Result(String bench, String op, Map<String, String> params, String impl, double gbps, double error) {}

    /** The results of a JMH JSON file and the JVM they ran on. */
    record Run(List<Result> results, String jvm) {}

    public static void main(String[] args) throws IOException {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: KernelReport JMH_JSON OUT_MD [OUT_PNG]");
            System.exit(2);
        }
        Run run = read(Path.of(args[0]));
        Files.write(Path.of(args[1]), markdown(run, machine()));
        if (args.length == 3) {
            KernelChart.save(run.results(), Path.of(args[2]));
        }
    }

    static Run read(Path json) throws IOException {
        List<Result> results = new ArrayList<>();
        String jvm = "";
        for (JsonNode r : new ObjectMapper().readTree(json.toFile())) {
            String[] name = r.get("benchmark").asText().split("\\.");
            // data first, then the benchmark's own params by name; size and memory last
            Map<String, String> own = new TreeMap<>(
                    Comparator.comparing((String k) -> !k.equals("data")).thenComparing(k -> k));
            Map<String, String> common = new TreeMap<>(Comparator.comparingInt(COMMON::indexOf));
            String impl = "java-scalar";
            for (var e : r.get("params").properties()) {
                if (e.getKey().equals("impl")) {
                    impl = e.getValue().asText();
                } else {
                    (COMMON.contains(e.getKey()) ? common : own)
                            .put(e.getKey(), e.getValue().asText());
                }
            }
            Map<String, String> params = new LinkedHashMap<>(own);
            params.putAll(common);
            JsonNode m = r.path("secondaryMetrics").has("bytes")
                    ? r.get("secondaryMetrics").get("bytes")
                    : r.get("primaryMetric");
            double error = m.path("scoreError").asDouble(Double.NaN); // "NaN" with a single iteration
            results.add(new Result(
                    name[name.length - 2],
                    name[name.length - 1],
                    params,
                    impl,
                    m.get("score").asDouble() / 1000,
                    error / 1000)); // MB/s -> GB/s
            jvm = r.get("vmName").asText() + " " + r.get("jdkVersion").asText();
        }
        return new Run(results, jvm);
    }

    /** The tables, in {@link #BENCHES}' order (others after), rows sorted by param (sizes by bytes) then operation. */
    static List<String> markdown(Run run, String machine) {
        // benchmark class -> row (param values, op) -> impl -> "12.3 ± 0.4"
        Map<String, Map<List<String>, Map<String, String>>> tables = new TreeMap<>(
                Comparator.comparingInt((String b) -> BENCHES.contains(b) ? BENCHES.indexOf(b) : BENCHES.size())
                        .thenComparing(Comparator.naturalOrder()));
        Map<String, List<String>> headers = new TreeMap<>();
        for (Result r : run.results()) {
            List<String> row = new ArrayList<>(r.params().values());
            row.add(r.op());
            List<String> header = new ArrayList<>(r.params().keySet());
            header.add("op");
            headers.put(r.bench(), header);
            tables.computeIfAbsent(r.bench(), k -> new TreeMap<>(KernelReport::compareRows))
                    .computeIfAbsent(row, k -> new TreeMap<>())
                    .put(
                            r.impl(),
                            Double.isNaN(r.error())
                                    ? number(r.gbps(), r.gbps())
                                    : number(r.gbps(), r.gbps()) + " ± " + number(r.error(), r.gbps()));
        }
        List<String> out = new ArrayList<>();
        for (var table : tables.entrySet()) {
            String bench = table.getKey();
            List<String> header = headers.get(bench);
            out.add(TITLES.getOrDefault(bench, bench + ", GB/s.") + " One thread.");
            out.add("");
            out.add("| " + String.join(" | ", header) + " | " + String.join(" | ", IMPLS) + " |");
            out.add("|" + "---|".repeat(header.size()) + "---:|".repeat(IMPLS.size()));
            table.getValue()
                    .forEach((row, byImpl) -> out.add("| " + String.join(" | ", row) + " | "
                            + String.join(
                                    " | ",
                                    IMPLS.stream()
                                            .map(i -> byImpl.getOrDefault(i, "-"))
                                            .toList()) + " |"));
            out.add("");
        }
        out.add("Machine: " + machine + "; " + run.jvm()
                + ". Source: `benchmarks/run.sh` -> `benchmarks/results/kernels.json`.");
        return out;
    }

    /** {@code x} with two decimals, or as many as give {@code scale} two significant digits when it is below 0.1. */
    static String number(double x, double scale) {
        return Math.abs(scale) >= 0.1 || x == 0
                ? String.format(Locale.ROOT, "%.2f", x)
                : String.format(
                        Locale.ROOT, "%." + Math.max(2, 1 - (int) Math.floor(Math.log10(Math.abs(scale)))) + "f", x);
    }

    /** Rows compare value by value: sizes ("4KiB", "16MiB") by bytes, numbers as numbers, the rest as text. */
    static int compareRows(List<String> a, List<String> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = compareValues(a.get(i), b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    }

    static int compareValues(String a, String b) {
        Double x = parse(a), y = parse(b);
        return x != null && y != null ? Double.compare(x, y) : a.compareTo(b);
    }

    private static Double parse(String s) {
        try {
            return (double) KernelBench.bytes(s);
        } catch (IllegalArgumentException e) {
            try {
                return Double.parseDouble(s);
            } catch (NumberFormatException e2) {
                return null;
            }
        }
    }

    private static String machine() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .findFirst()
                    .map(l -> l.replaceAll(".*:\\s*", ""))
                    .orElse(cpu);
        } catch (IOException | RuntimeException e) {
            // not Linux: the CPU name is a nicety
        }
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores";
    }
}
