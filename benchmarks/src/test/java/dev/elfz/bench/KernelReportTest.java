package dev.elfz.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfz.chart.Charts;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.category.CategoryDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** KernelReport and KernelChart on a small committed JMH JSON (kernels-sample.json: the format of run.sh's output). */
class KernelReportTest {

    @TempDir
    Path dir;

    private static Path sample() throws Exception {
        return Path.of(KernelReportTest.class.getResource("kernels-sample.json").toURI());
    }

    @Test
    void readsTheBytesCounterAsGbps() throws Exception {
        KernelReport.Run run = KernelReport.read(sample());
        assertEquals(9, run.results().size());
        KernelReport.Result first = run.results().getFirst();
        assertEquals("ElfKernelBenchmark", first.bench());
        assertEquals("encode", first.op());
        assertEquals("native-avx2", first.impl());
        assertEquals(
                List.of("data", "type", "size", "memory"),
                List.copyOf(first.params().keySet()),
                "data, own, common");
        assertEquals(4.4, first.gbps(), 1e-12);
        assertEquals(0.12, first.error(), 1e-12);
        assertTrue(Double.isNaN(run.results().get(6).error()), "JMH's \"NaN\" error");
        assertEquals("OpenJDK 64-Bit Server VM 25.0.3", run.jvm());
    }

    @Test
    void tablesPerBenchmarkWithSizesInOrder() throws Exception {
        List<String> md = KernelReport.markdown(KernelReport.read(sample()), "a CPU, 2 cores");
        int elf = md.indexOf(
                "| data | type | size | memory | op | native-avx512 | native-avx2 | native-scalar | java-vector | java-scalar |");
        assertTrue(elf > 0, String.join("\n", md));
        assertTrue(md.get(elf - 2).startsWith("ELF kernels"));
        assertEquals("|---|---|---|---|---|---:|---:|---:|---:|---:|", md.get(elf + 1));
        assertEquals(
                List.of(
                        "| bert | F32 | 4KiB | mapped | encode | - | 4.40 ± 0.12 | - | 2.10 ± 0.12 | - |",
                        "| bert | F32 | 16MiB | heap | encode | - | 13.50 ± 0.70 | - | 16.90 ± 0.70 | - |",
                        "| bert | F32 | 16MiB | mapped | encode | - | 14.00 ± 0.80 | - | 17.50 ± 0.80 | - |"),
                md.subList(elf + 2, elf + 5));
        // tables in the suite's order: ELF, bit packing, ..., entropy, prune
        int pack = index(md, "Bit packing"),
                entropy = index(md, "Entropy stage"),
                prune = index(md, "Pruning threshold");
        assertTrue(elf < pack && pack < entropy && entropy < prune, md.toString());
        assertTrue(
                md.contains("| bert | 4 | 16MiB | mapped | unpack | - | - | 1.30 | - | - |"),
                "no error: the score alone");
        assertTrue(
                md.contains("| bert | 16MiB | mapped | decode | - | - | - | - | 0.086 ± 0.003 |"),
                "small values: two significant digits");
        assertTrue(md.getLast().startsWith("Machine: a CPU, 2 cores; OpenJDK 64-Bit Server VM 25.0.3."));
    }

    /** An older run counted bytes as JMH operations (no counter, no size or memory): its primary score is the MB/s. */
    @Test
    void readsOlderRunsByTheirPrimaryScore() throws Exception {
        Path old = Files.writeString(dir.resolve("old.json"), """
                [{"benchmark": "dev.elfz.bench.QuantKernelBenchmark.quantizePack", "params": {"data": "bert", "impl": "java-vector",
                  "layout": "tensor"}, "primaryMetric": {"score": 9580.0, "scoreError": 60.0}, "secondaryMetrics": {},
                  "vmName": "VM", "jdkVersion": "25"}]
                """);
        List<String> md = KernelReport.markdown(KernelReport.read(old), "cpu");
        assertTrue(
                md.contains("| bert | tensor | quantizePack | - | - | - | 9.58 ± 0.06 | - |"), String.join("\n", md));
    }

    @Test
    void sortsSizesByBytes() {
        assertTrue(KernelReport.compareValues("4KiB", "16MiB") < 0);
        assertTrue(KernelReport.compareValues("64MiB", "16MiB") > 0);
        assertTrue(KernelReport.compareValues("2", "16") < 0, "numbers as numbers");
        assertTrue(KernelReport.compareValues("F16", "F32") < 0);
        assertEquals(4096, KernelBench.bytes("4KiB"));
        assertEquals(64L << 20, KernelBench.bytes("64MiB"));
        assertThrows(IllegalArgumentException.class, () -> KernelBench.bytes("3"));
        assertThrows(IllegalArgumentException.class, () -> KernelBench.bytes("0KiB"));
    }

    /** The chart: the largest size, mapped memory; a category per kernel operation, a series per implementation. */
    @Test
    void chartOfTheLargestSizeMapped() throws Exception {
        List<KernelReport.Result> results = KernelReport.read(sample()).results();
        assertEquals(new KernelChart.Selection("16MiB", "mapped", "bert"), KernelChart.select(results));
        JFreeChart chart = KernelChart.chart(results);
        CategoryDataset data = chart.getCategoryPlot().getDataset();
        assertEquals(
                List.of(
                        "ELF F32 encode",
                        "bit pack width=4 unpack",
                        "entropy decode",
                        "prune fraction=0.5 F32 threshold"),
                data.getColumnKeys());
        assertEquals(List.of("native-avx2", "native-scalar", "java-vector", "java-scalar"), data.getRowKeys());
        assertEquals(14.0, data.getValue("native-avx2", "ELF F32 encode").doubleValue(), 1e-12, "mapped, not heap");
        assertEquals(17.5, data.getValue("java-vector", "ELF F32 encode").doubleValue(), 1e-12);
        assertEquals(null, data.getValue("native-avx2", "entropy decode"));
        assertEquals(
                "16MiB per call, BERT-base weights, mapped memory; JMH, benchmarks/run.sh",
                ((TextTitle) chart.getSubtitle(1)).getText());

        Path png = dir.resolve("kernels.png"), md = dir.resolve("kernels.md");
        KernelReport.main(new String[] {sample().toString(), md.toString(), png.toString()});
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(Charts.WIDTH, image.getWidth());
        assertEquals(KernelChart.height(4, 4), image.getHeight());
        assertTrue(Files.readString(md).startsWith("ELF kernels"));
    }

    private static int index(List<String> lines, String prefix) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }
}
