package dev.elfz.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns the JMH JSON of {@link ElfKernelBenchmark}, {@link QuantKernelBenchmark}, {@link PlanesBenchmark} and
 * {@link GridBenchmark} into Markdown tables, one per benchmark class: GB/s per implementation for every combination
 * of the other params and operation, with JMH's error, plus the machine it ran on.
 *
 * <p>Usage: {@code KernelReport kernels.json kernels.md}
 */
public final class KernelReport {

    private static final List<String> IMPLS = List.of("native-avx512", "native-avx2", "native-scalar", "java-vector", "java-scalar");

    /** What a table measures, by benchmark class. */
    private static final Map<String, String> TITLES = Map.of(
            "ElfKernelBenchmark", "ELF kernels, GB/s of float data (input for encode, output for decode), one thread, 16 MiB in memory.",
            "QuantKernelBenchmark", "4-bit uniform quantization, GB/s of float32 (input of quantize+pack, output of unpack+dequantize),"
                    + " one thread, 16 MiB in memory; group32: a scale per 32 values, tensor: one scale.",
            "PlanesBenchmark", "Byte planes (rotated), GB/s of values, one thread, 1 MiB of BERT weights in cache.",
            "GridBenchmark", "Error-bound grid codes (step = 2 * bound), GB/s of values (input for encode, output for decode),"
                    + " one thread, 1 MiB of BERT weights in cache.");

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: KernelReport JMH_JSON OUT_MD");
            System.exit(2);
        }
        JsonNode runs = new ObjectMapper().readTree(Path.of(args[0]).toFile());
        // benchmark class -> row "param | param | op" -> impl -> "12.3 ± 0.4"; and the class's header
        Map<String, Map<String, Map<String, String>>> tables = new TreeMap<>();
        Map<String, String> headers = new TreeMap<>();
        String jvm = "";
        for (JsonNode run : runs) {
            String[] name = run.get("benchmark").asText().split("\\.");
            String bench = name[name.length - 2];
            String op = name[name.length - 1];
            List<String> keys = new ArrayList<>();
            List<String> values = new ArrayList<>();
            run.get("params").fields().forEachRemaining(e -> {
                if (!e.getKey().equals("impl")) {
                    keys.add(e.getKey());
                    values.add(e.getValue().asText());
                }
            });
            keys.add("op");
            values.add(op);
            headers.put(bench, String.join(" | ", keys));
            JsonNode m = run.get("primaryMetric");
            double score = m.get("score").asDouble() / 1000, error = m.get("scoreError").asDouble() / 1000; // MB/s -> GB/s
            tables.computeIfAbsent(bench, k -> new TreeMap<>()).computeIfAbsent(String.join(" | ", values), k -> new TreeMap<>())
                    .put(run.get("params").get("impl").asText(), Double.isNaN(error) ? String.format(Locale.ROOT, "%.2f", score)
                            : String.format(Locale.ROOT, "%.2f ± %.2f", score, error));
            jvm = run.get("vmName").asText() + " " + run.get("jdkVersion").asText();
        }
        List<String> out = new ArrayList<>();
        for (var table : tables.entrySet()) {
            String bench = table.getKey();
            out.add(TITLES.getOrDefault(bench, bench + ", GB/s, one thread."));
            out.add("");
            out.add("| " + headers.get(bench) + " | " + String.join(" | ", IMPLS) + " |");
            out.add("|" + "---|".repeat(headers.get(bench).split(" \\| ").length) + "---:|".repeat(IMPLS.size()));
            table.getValue().forEach((row, byImpl) -> out.add("| " + row + " | "
                    + String.join(" | ", IMPLS.stream().map(i -> byImpl.getOrDefault(i, "-")).toList()) + " |"));
            out.add("");
        }
        out.add("Machine: " + machine() + "; " + jvm + ". Source: `benchmarks/run.sh` -> `benchmarks/results/kernels.json`.");
        Files.write(Path.of(args[1]), out);
    }

    private static String machine() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.replaceAll(".*:\\s*", "")).orElse(cpu);
        } catch (IOException | RuntimeException e) {
            // not Linux: the CPU name is a nicety
        }
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores";
    }
}
