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
 * Turns the JMH JSON of {@link ElfKernelBenchmark} into a Markdown table: GB/s per implementation for
 * every (data, type, operation), with JMH's error, plus the machine it ran on.
 *
 * <p>Usage: {@code KernelReport kernels.json kernels.md}
 */
public final class KernelReport {

    private static final List<String> IMPLS = List.of("native-avx512", "native-avx2", "native-scalar", "java-vector", "java-scalar");

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: KernelReport JMH_JSON OUT_MD");
            System.exit(2);
        }
        JsonNode runs = new ObjectMapper().readTree(Path.of(args[0]).toFile());
        // row "data type op" -> impl -> "12.3 ± 0.4"
        Map<String, Map<String, String>> rows = new TreeMap<>();
        String jvm = "";
        for (JsonNode run : runs) {
            JsonNode p = run.get("params");
            String op = run.get("benchmark").asText().replaceAll(".*\\.", "");
            String row = p.get("data").asText() + " | " + p.get("type").asText() + " | " + op;
            JsonNode m = run.get("primaryMetric");
            double score = m.get("score").asDouble() / 1000, error = m.get("scoreError").asDouble() / 1000; // MB/s -> GB/s
            rows.computeIfAbsent(row, k -> new TreeMap<>()).put(p.get("impl").asText(),
                    Double.isNaN(error) ? String.format(Locale.ROOT, "%.2f", score)
                            : String.format(Locale.ROOT, "%.2f ± %.2f", score, error));
            jvm = run.get("vmName").asText() + " " + run.get("jdkVersion").asText();
        }
        List<String> out = new ArrayList<>();
        out.add("ELF kernels, GB/s of float data (input for encode, output for decode), one thread, 16 MiB in memory.");
        out.add("");
        out.add("Machine: " + machine() + "; " + jvm + ". Source: `benchmarks/run.sh` -> `benchmarks/results/kernels.json`.");
        out.add("");
        out.add("| data | type | op | " + String.join(" | ", IMPLS) + " |");
        out.add("|---|---|---|" + "---:|".repeat(IMPLS.size()));
        rows.forEach((row, byImpl) -> out.add("| " + row + " | "
                + String.join(" | ", IMPLS.stream().map(i -> byImpl.getOrDefault(i, "-")).toList()) + " |"));
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
