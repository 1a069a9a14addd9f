package dev.elfz.cli;

import static dev.elfz.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.elfz.Dtype;
import dev.elfz.analyze.Analysis;
import dev.elfz.analyze.CodecEstimate;
import dev.elfz.chart.Charts;
import dev.elfz.safetensors.SafetensorsWriter;
import dev.elfz.safetensors.TensorSpec;
import java.awt.Color;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.plot.XYPlot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** elfz analyze: the tables, --json, the --plot pictures, and bad input. */
class AnalyzeCommandTest {

    @TempDir
    Path dir;

    @Test
    void tablesForAModelDirectoryWithACopiedShard() throws IOException {
        Path model = Models.directory(dir, "model", 1);
        Files.copy(model.resolve("model-00001-of-00002.safetensors"), dir.resolve("copy.safetensors"));
        Cli.Run r = run("analyze", dir).succeeds();
        assertEquals("", r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(
                lines.get(0).matches("3 files \\(3 safetensors, 0 elfz\\), 30 tensors, [\\d.]+ KB of tensors"),
                lines.get(0));
        assertTrue(lines.get(2).matches("dtype +layers +layers % +size +size % +avg params +avg size"), lines.get(2));
        // Models.file: F32 embed, norm, empty; F16; BF16; F64 double, scalar; I64; U8; BOOL - three times
        assertTrue(lines.stream().anyMatch(l -> l.matches("BOOL +3 +10\\.00 +9 B +0\\.\\d\\d +3\\.0 +3 B")), r.out());
        assertTrue(lines.stream().anyMatch(l -> l.matches("F32 +9 +30\\.00 .*")), r.out());
        assertTrue(lines.stream().anyMatch(l -> l.matches("total +30 +100\\.00 +[\\d.]+ KB +100\\.00 .*")), r.out());
        assertTrue(
                lines.stream()
                        .anyMatch(l -> l.matches("dtype +values +in \\(-1,1\\) % +min +max +mean +std +NaN +Inf")),
                r.out());
        // shard 2 repeats two tensors of shard 1 (the empty F32 [0] and the BOOL mask, the same in every
        // Models.file); the copy repeats all 10 of shard 1: 12 duplicates in all
        JsonNode j = run("analyze", "--json", dir).succeeds().json();
        assertEquals(
                12, j.get("total").get("duplication").get("duplicate_layers").asLong());
        assertTrue(lines.stream().anyMatch(l -> l.matches("total +[\\d.]+ KB +12 .*")), r.out());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("chunks: ")), r.out());
        // the copy has the same tensors as shard 1, but is not named a fine-tune of it
        assertEquals(0, j.get("pairs").size());
        assertTrue(lines.stream().noneMatch(l -> l.startsWith("likely fine-tunes")), r.out());
        // the estimate: every chunk sampled (the floats fit the budget), one row per mode
        assertTrue(
                lines.stream().anyMatch(l -> l.matches("elfz compress, estimated from [\\d.]+ KB of float values .*")),
                r.out());
        assertTrue(
                lines.stream().anyMatch(l -> l.matches("lossless +--codec lossless +[\\d.]+ KB +\\d+\\.\\d{3}")),
                r.out());
        assertTrue(
                lines.getLast().matches("prune 90% \\+ elf +--codec elf --prune 0\\.9 +[\\d.]+ KB +\\d+\\.\\d{3}"),
                lines.getLast());
    }

    @Test
    void jsonFields() throws IOException {
        Path f = Models.file(dir, "m.safetensors", 3);
        run("compress", "-q", f).succeeds();
        JsonNode j = run("analyze", "--json", dir).succeeds().json();
        assertEquals(2, j.get("files").size());
        List<String> kinds = new ArrayList<>();
        j.get("files").forEach(x -> kinds.add(x.get("kind").asText()));
        assertEquals(List.of("safetensors", "elfz"), kinds);
        for (String field : List.of("path", "kind", "bytes", "tensors", "tensor_bytes")) {
            assertTrue(j.get("files").get(0).has(field), field);
        }
        assertEquals(20, j.get("tensors").asLong());
        JsonNode f32 = null;
        for (JsonNode d : j.get("dtypes")) {
            for (String field : List.of(
                    "dtype",
                    "layers",
                    "layer_share",
                    "bytes",
                    "byte_share",
                    "parameters",
                    "average_parameters",
                    "average_bytes",
                    "duplication")) {
                assertTrue(d.has(field), field + " in " + d);
            }
            if (d.get("dtype").asText().equals("F32")) {
                f32 = d;
            }
            if (d.get("dtype").asText().equals("I64")) {
                assertFalse(d.has("values"), "no values for integers");
            }
        }
        assertEquals(6, f32.get("layers").asLong(), "3 in each file");
        JsonNode v = f32.get("values");
        assertEquals(64 * 48 + 48, v.get("values").asLong(), "values of the safetensors file only");
        assertEquals(1, v.get("nan").asLong());
        assertEquals(1, v.get("inf").asLong());
        assertEquals(-2, v.get("min").asDouble());
        for (String field : List.of("in_unit", "in_unit_share", "max", "mean", "std")) {
            assertTrue(v.has(field), field);
        }
        JsonNode dup = j.get("total").get("duplication");
        for (String field : List.of(
                "scanned_bytes",
                "duplicate_layers",
                "duplicate_layer_bytes",
                "fixed4k_bytes",
                "fixed512_bytes",
                "cdc_bytes")) {
            assertTrue(dup.has(field), field);
        }
        assertEquals(
                j.get("files").get(0).get("tensor_bytes").asLong(),
                dup.get("scanned_bytes").asLong());
        JsonNode c = j.get("chunk_index");
        for (String field : List.of(
                "fixed4k_chunks",
                "fixed512_chunks",
                "cdc_chunks",
                "distinct_fixed4k",
                "distinct_fixed512",
                "distinct_cdc",
                "memory_bytes",
                "memory_limit",
                "saturated")) {
            assertTrue(c.has(field), field);
        }
        JsonNode p = j.get("predictions");
        assertEquals(CodecEstimate.MODES.size(), p.size());
        for (String field : List.of(
                "mode", "flags", "input_bytes", "predicted_bytes", "ratio", "sampled_bytes", "container_bytes")) {
            assertTrue(p.get(0).has(field), field);
        }
        assertEquals("elf", p.get(0).get("mode").asText());
    }

    /**
     * An F32 tensor spread over [-2, 2) with known gaps (every bin b with b % 7 == 3 empty) and values outside it,
     * analysed with {@link Models#file} (F16, BF16, F32, F64 near 0): four series.
     */
    private List<Path> plotInputs() throws IOException {
        List<Float> values = new ArrayList<>();
        for (int b = 0; b < Analysis.BINS; b++) {
            int count = b % 7 == 3 ? 0 : 1 + (b * 131) % 400;
            for (int i = 0; i < count; i++) {
                values.add((float) (Analysis.HISTOGRAM_LOW + 0.02 * b + 0.01)); // the bin's centre
            }
        }
        for (int i = 0; i < 5; i++) {
            values.add(-3f);
        }
        for (int i = 0; i < 7; i++) {
            values.add(3f);
        }
        MemorySegment data = Arena.ofAuto().allocate(4L * values.size());
        for (int i = 0; i < values.size(); i++) {
            data.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, values.get(i));
        }
        Path wide = dir.resolve("wide.safetensors");
        SafetensorsWriter.write(
                wide,
                List.of(new TensorSpec("wide", Dtype.F32, new long[] {values.size()})),
                List.of(data),
                Map.of(),
                false);
        return List.of(Models.file(dir, "m.safetensors", 3), wide);
    }

    @Test
    void plotWritesAPngHistogram() throws Exception {
        List<Path> inputs = plotInputs();
        Path png = dir.resolve("h.png");
        run("analyze", "--plot", png, inputs.get(0), inputs.get(1)).succeeds();
        byte[] bytes = Files.readAllBytes(png);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, Arrays.copyOf(bytes, 8));
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(Charts.WIDTH, image.getWidth());
        assertEquals(Charts.HEIGHT, image.getHeight());

        // the same chart drawn here, for where its data area and axes lie
        Analysis.Report report = new Analysis().run(inputs);
        JFreeChart chart = AnalyzeCommand.histogram(report.dtypes());
        ChartRenderingInfo info = new ChartRenderingInfo();
        BufferedImage here = chart.createBufferedImage(Charts.WIDTH, Charts.HEIGHT, BufferedImage.TYPE_INT_RGB, info);
        assertTrue(samePixels(here, image), "the file is the analysis' chart");
        Rectangle2D area = info.getPlotInfo().getDataArea();
        XYPlot plot = chart.getXYPlot();
        assertInstanceOf(LogAxis.class, plot.getRangeAxis(), "counts on a log scale");
        assertEquals(4, plot.getDataset(0).getSeriesCount(), "F16, BF16, F32, F64");
        for (int s = 0; s < 4; s++) {
            assertTrue(near(image, Charts.colour(s), 0, 0, image.getWidth(), image.getHeight()) > 20, "series " + s);
        }

        // the band: shaded inside (-1, 1), not outside
        int inside = px(plot, area, 0.9), outside = px(plot, area, -1.5);
        int top = (int) area.getMinY() + 1, bottom = (int) area.getMaxY() - 1;
        assertTrue(count(image, Charts.BAND, inside, top, bottom) > 0.8 * (bottom - top), "band at 0.9");
        assertEquals(0, count(image, Charts.BAND, outside, top, bottom), "no band at -1.5");
        assertTrue(count(image, Color.WHITE, outside, top, bottom) > 0.8 * (bottom - top), "white at -1.5");

        // the F32 line: at each full bin's count on the log axis, absent over the empty bins
        int f32 = -1;
        for (int s = 0; s < 4; s++) {
            if (plot.getDataset(0).getSeriesKey(s).toString().startsWith("F32 ")) {
                f32 = s;
            }
        }
        Analysis.Histogram h = report.dtypes().stream()
                .filter(d -> d.dtype().equals("F32"))
                .findFirst()
                .orElseThrow()
                .values()
                .histogram();
        for (int b : new int[] {5, 20, 180, 195}) {
            assertEquals(1 + (b * 131) % 400, h.counts()[b]);
            int x = px(plot, area, Analysis.HISTOGRAM_LOW + 0.02 * b + 0.01);
            int y = (int) plot.getRangeAxis().valueToJava2D(h.counts()[b], area, plot.getRangeAxisEdge());
            assertTrue(near(image, Charts.colour(f32), x, y - 2, 1, 5) > 0, "bin " + b + " at its count");
        }
        for (int b : new int[] {10, 185}) {
            assertEquals(0, h.counts()[b]);
            int x = px(plot, area, Analysis.HISTOGRAM_LOW + 0.02 * b + 0.01);
            assertEquals(0, near(image, Charts.colour(f32), x, top, 1, bottom - top), "empty bin " + b);
        }
        // the values outside [-2, 2): points just beyond the ends
        assertEquals(5, h.below());
        assertEquals(7, h.above());
        for (double[] end : new double[][] {{-2.05, 5}, {2.05, 7}}) {
            int x = px(plot, area, end[0]);
            int y = (int) plot.getRangeAxis().valueToJava2D(end[1], area, plot.getRangeAxisEdge());
            assertTrue(near(image, Charts.colour(f32), x - 2, y - 2, 5, 5) > 0, "point at " + end[0]);
        }
    }

    @Test
    void plotWritesAnSvgHistogramOfTheSameChart() throws Exception {
        List<Path> inputs = plotInputs();
        Path svg = dir.resolve("h.svg");
        run("analyze", "--plot", svg, inputs.get(0), inputs.get(1)).succeeds();
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(svg.toFile());
        Element root = doc.getDocumentElement();
        assertEquals("svg", root.getTagName());
        assertEquals(Charts.WIDTH, Double.parseDouble(root.getAttribute("width")));
        assertEquals(Charts.HEIGHT, Double.parseDouble(root.getAttribute("height")));
        String text = Files.readString(svg);
        NodeList paths = doc.getElementsByTagName("path");
        for (int s = 0; s < 4; s++) {
            Color c = Charts.colour(s);
            String rgb = "rgb(" + c.getRed() + "," + c.getGreen() + "," + c.getBlue() + ")";
            int lines = 0;
            for (int i = 0; i < paths.getLength(); i++) {
                Element p = (Element) paths.item(i);
                String style = p.getAttribute("style") + ((Element) p.getParentNode()).getAttribute("style");
                if (style.contains("stroke:" + rgb) && p.getAttribute("d").split("L").length > 10) { // a step line
                    lines++;
                }
            }
            assertTrue(lines > 0, "a line of series " + s + " (" + rgb + ")");
        }
        Color band = Charts.BAND;
        assertTrue(
                text.contains("rgb(" + band.getRed() + "," + band.getGreen() + "," + band.getBlue() + ")"),
                "the band is shaded");
        List<String> labels = new ArrayList<>();
        NodeList texts = doc.getElementsByTagName("text");
        for (int i = 0; i < texts.getLength(); i++) {
            labels.add(texts.item(i).getTextContent());
        }
        assertTrue(labels.contains("(-1, 1)"), labels.toString());
        for (String dtype : List.of("F16", "BF16", "F32", "F64")) {
            assertTrue(labels.stream().anyMatch(l -> l.startsWith(dtype + " (")), dtype + " in the legend: " + labels);
        }
    }

    @Test
    void plotCountsEveryFiniteValue() throws IOException {
        Path f = Models.file(dir, "m.safetensors", 3);
        JsonNode h = run("analyze", "--json", f)
                .succeeds()
                .json()
                .get("total")
                .get("values")
                .get("histogram");
        long sum = h.get("below").asLong() + h.get("above").asLong();
        for (JsonNode c : h.get("counts")) {
            sum += c.asLong();
        }
        assertEquals(200, h.get("counts").size());
        long finite = 0;
        for (JsonNode d : run("analyze", "--json", f).succeeds().json().get("dtypes")) {
            if (d.has("values")) {
                JsonNode v = d.get("values");
                finite += v.get("values").asLong()
                        - v.get("nan").asLong()
                        - v.get("inf").asLong();
            }
        }
        assertEquals(finite, sum, "every finite value in one bin");
    }

    @Test
    void plotFileNamesAndTargets() throws Exception {
        Path f = Models.file(dir, "m.safetensors", 3);
        Set<Path> before = Set.copyOf(list(dir));
        for (String name : List.of("h.jpg", "h.svg.txt", "png")) {
            run("analyze", "--plot", dir.resolve(name), f)
                    .usageError("--plot", dir.resolve(name).toString(), ".png", ".svg");
        }
        assertEquals(before, Set.copyOf(list(dir)), "nothing written");

        // a directory in the way: exit 1, before the analysis, and nothing left beside it
        Path taken = Files.createDirectory(dir.resolve("taken.png"));
        run("analyze", "--plot", taken, f).failsWith(taken.toString(), "is a directory");
        assertTrue(Files.isDirectory(taken));
        assertEquals(0, list(taken).size());
        assertEquals(Set.copyOf(list(dir)).size(), before.size() + 1, "no temporary left: " + list(dir));

        // an existing file is replaced, by rename (a new inode), and nothing is left beside it
        Path old = Files.writeString(dir.resolve("old.PNG"), "not a picture");
        Object inode = Files.getAttribute(old, "unix:ino");
        run("analyze", "--plot", old, f).succeeds();
        assertNotNull(ImageIO.read(old.toFile()));
        assertNotEquals(inode, Files.getAttribute(old, "unix:ino"), "renamed over, not rewritten in place");
        assertEquals(before.size() + 2, list(dir).size(), "no temporary left: " + list(dir));

        // no float values: a picture all the same
        Path ints = dir.resolve("ints.safetensors");
        SafetensorsWriter.write(
                ints,
                List.of(new TensorSpec("ids", Dtype.I64, new long[] {2})),
                List.of(MemorySegment.ofArray(new long[] {1, 2})),
                Map.of(),
                false);
        Path empty = dir.resolve("empty.svg");
        run("analyze", "--plot", empty, ints).succeeds();
        assertEquals(
                "svg",
                DocumentBuilderFactory.newInstance()
                        .newDocumentBuilder()
                        .parse(empty.toFile())
                        .getDocumentElement()
                        .getTagName());
    }

    private static List<Path> list(Path d) throws IOException {
        try (var s = Files.list(d)) {
            return s.toList();
        }
    }

    /** The pixel column of value {@code x}. */
    private static int px(XYPlot plot, Rectangle2D area, double x) {
        return (int) plot.getDomainAxis().valueToJava2D(x, area, plot.getDomainAxisEdge());
    }

    /** Pixels of colour c in column x from row top to bottom. */
    private static int count(BufferedImage image, Color c, int x, int top, int bottom) {
        int n = 0;
        for (int y = top; y < bottom; y++) {
            n += (image.getRGB(x, y) & 0xffffff) == (c.getRGB() & 0xffffff) ? 1 : 0;
        }
        return n;
    }

    /** Pixels in the rectangle within 64 of colour c in every channel (a line's antialiased middle). */
    private static int near(BufferedImage image, Color c, int x0, int y0, int w, int h) {
        int n = 0;
        for (int y = Math.max(0, y0); y < Math.min(image.getHeight(), y0 + h); y++) {
            for (int x = Math.max(0, x0); x < Math.min(image.getWidth(), x0 + w); x++) {
                int p = image.getRGB(x, y);
                if (Math.abs((p >> 16 & 0xff) - c.getRed()) <= 64
                        && Math.abs((p >> 8 & 0xff) - c.getGreen()) <= 64
                        && Math.abs((p & 0xff) - c.getBlue()) <= 64) {
                    n++;
                }
            }
        }
        return n;
    }

    private static boolean samePixels(BufferedImage a, BufferedImage b) {
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                if ((a.getRGB(x, y) & 0xffffff) != (b.getRGB(x, y) & 0xffffff)) {
                    return false;
                }
            }
        }
        return true;
    }

    @Test
    void badInputIsOneLineNamingTheFile() throws IOException {
        Path good = Models.file(dir, "good.safetensors", 1);
        byte[] bytes = Files.readAllBytes(good);
        Path cut = Files.write(
                Files.createDirectories(dir.resolve("sub")).resolve("cut.safetensors"),
                Arrays.copyOf(bytes, bytes.length - 100),
                StandardOpenOption.CREATE_NEW);
        run("analyze", dir).failsWith(cut.toString(), "truncated download?");
        run("analyze", "--json", dir).failsWith(cut.toString());
        Path lfs = Files.writeString(dir.resolve("lfs.safetensors"), "version https://git-lfs.github.com/spec/v1\n");
        run("analyze", lfs).failsWith(lfs.toString(), "git-LFS pointer");
        Path fake = Files.writeString(dir.resolve("fake.elfz"), "not an elfz");
        run("analyze", fake).failsWith(fake.toString(), "not an .elfz file");
        run("analyze", dir.resolve("missing")).failsWith(dir.resolve("missing") + ": no such file or directory");
        Path txt = Files.writeString(dir.resolve("notes.txt"), "x");
        run("analyze", txt)
                .failsWith(txt + ": not a .safetensors, .onnx, .gguf, PyTorch (.bin, .pt, .pth) or .elfz file");
        run("analyze").usageError("PATH");
    }
}
