package dev.elfz.chart;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Point2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.PlotRenderingInfo;
import org.jfree.chart.plot.PlotState;
import org.jfree.chart.plot.XYPlot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Charts: the format from the extension, whole files or none, a histogram without data, grouped bars. */
class ChartsTest {

    @TempDir
    Path dir;

    private static final Charts.Band BAND = new Charts.Band(-1, 1, "(-1, 1)");

    @Test
    void formatFromTheExtension() {
        assertEquals(Charts.Format.PNG, Charts.Format.of(Path.of("a/b.png")));
        assertEquals(Charts.Format.PNG, Charts.Format.of(Path.of("B.PNG")));
        assertEquals(Charts.Format.SVG, Charts.Format.of(Path.of("c.Svg")));
        for (String name : List.of("d.jpg", "png", "e.svg.gz", "f.")) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> Charts.Format.of(Path.of(name)));
            assertTrue(e.getMessage().contains(name), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Charts.Format.of(Path.of("/")));
    }

    @Test
    void aBadExtensionWritesNothing() throws IOException {
        JFreeChart chart = Charts.histogram("t", "x", "y", List.of(), BAND);
        assertThrows(IllegalArgumentException.class, () -> Charts.save(chart, dir.resolve("h.gif")));
        assertEquals(List.of(), list());
    }

    /** A failure while drawing leaves the old file as it was and no temporary beside it, in either format. */
    @Test
    void aFailedDrawingLeavesTheOldFile() throws IOException {
        XYPlot failing = new XYPlot() {
            @Override
            public void draw(
                    Graphics2D g2, Rectangle2D area, Point2D anchor, PlotState parentState, PlotRenderingInfo info) {
                throw new IllegalStateException("drawing failed");
            }
        };
        JFreeChart chart = new JFreeChart(failing);
        for (String name : List.of("old.png", "old.svg")) {
            Path old = Files.writeString(dir.resolve(name), "the old picture");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Charts.save(chart, old));
            assertEquals("drawing failed", e.getMessage());
            assertEquals("the old picture", Files.readString(old));
        }
        assertEquals(2, list().size(), "no temporary left: " + list());
    }

    @Test
    void aHistogramWithoutDataIsStillAPicture() throws Exception {
        JFreeChart chart = Charts.histogram("none", "x", "count", List.of(), BAND);
        Path png = dir.resolve("none.png"), svg = dir.resolve("none.svg");
        Charts.save(chart, png, 300, 200);
        Charts.save(chart, svg);
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(300, image.getWidth());
        assertEquals(200, image.getHeight());
        assertEquals(
                "svg",
                DocumentBuilderFactory.newInstance()
                        .newDocumentBuilder()
                        .parse(svg.toFile())
                        .getDocumentElement()
                        .getTagName());
        assertFalse(Files.readString(svg).contains("<!DOCTYPE"), "no DTD for a parser to fetch");
    }

    /** Zero counts are gaps, not log(0): the line has no point in an empty bin, and all-zero still draws. */
    @Test
    void zeroCountsAreGaps() throws IOException {
        long[] counts = {0, 5, 0, 0, 7, 0};
        JFreeChart chart = Charts.histogram(
                "gaps",
                "x",
                "count",
                List.of(
                        new Charts.Binned("a", 0, 6, 0, counts, 3),
                        new Charts.Binned("zeros", 0, 6, 0, new long[6], 0)),
                null);
        var steps = chart.getXYPlot().getDataset(0);
        int points = 0;
        for (int i = 0; i < steps.getItemCount(0); i++) {
            Number y = steps.getY(0, i);
            if (y != null) {
                assertTrue(y.longValue() > 0);
                points++;
            }
        }
        assertEquals(4, points, "two points (the bin's edges) per full bin");
        assertEquals(3, chart.getXYPlot().getDataset(1).getY(0, 1).longValue(), "above");
        assertEquals(null, chart.getXYPlot().getDataset(1).getY(0, 0), "nothing below");
        Charts.save(chart, dir.resolve("gaps.png"));
        assertTrue(Files.size(dir.resolve("gaps.png")) > 0);
    }

    /**
     * Grouped bars: a valid PNG of the asked size, each series' bars in its palette colour inside the data area, their
     * areas in proportion to the values (same thickness), a NaN bar left out; a vertical chart too.
     */
    @Test
    void groupedBarsDrawEachSeriesInItsColour() throws IOException {
        List<String> series = List.of("native", "java", "none");
        List<String> categories = List.of("encode", "decode");
        double[][] values = {{1, 2}, {4, Double.NaN}, {Double.NaN, Double.NaN}};
        JFreeChart chart = Charts.groupedBars("kernels", "op", "GB/s", series, categories, values, true);
        CategoryPlot plot = chart.getCategoryPlot();
        assertEquals(PlotOrientation.HORIZONTAL, plot.getOrientation());
        assertEquals(null, plot.getDataset().getValue("java", "decode"), "NaN is no bar");
        assertEquals(4.0, plot.getDataset().getValue("java", "encode").doubleValue());
        Path png = dir.resolve("bars.png");
        Charts.save(chart, png, 640, 400);
        byte[] bytes = Files.readAllBytes(png);
        assertArrayEquals(
                new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'},
                Arrays.copyOf(bytes, 8),
                "PNG signature");
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(640, image.getWidth());
        assertEquals(400, image.getHeight());
        // the same chart drawn again at the same size gives the data area (the drawing is deterministic)
        ChartRenderingInfo info = new ChartRenderingInfo();
        chart.createBufferedImage(640, 400, BufferedImage.TYPE_INT_RGB, info);
        Rectangle2D area = info.getPlotInfo().getDataArea();
        long first = pixels(image, area, Charts.colour(0)), second = pixels(image, area, Charts.colour(1));
        assertEquals(0, pixels(image, area, Charts.colour(2)), "an all-NaN series draws nothing");
        assertTrue(first > 500 && second > 500, first + " / " + second);
        assertEquals(4.0 / 3, (double) second / first, 0.1, "bar areas in proportion to 4 : (1 + 2)");

        Path vertical = dir.resolve("vertical.png");
        Charts.save(Charts.groupedBars("v", "op", "GB/s", series, categories, values, false), vertical, 400, 300);
        BufferedImage v = ImageIO.read(vertical.toFile());
        assertEquals(400, v.getWidth());
        assertTrue(pixels(v, new Rectangle2D.Double(0, 0, 400, 300), Charts.colour(1)) > 100);
    }

    @Test
    void groupedBarsCheckTheirShape() {
        assertThrows(
                IllegalArgumentException.class,
                () -> Charts.groupedBars("t", "x", "y", List.of("a", "b"), List.of("c"), new double[][] {{1}}, true));
        assertThrows(
                IllegalArgumentException.class,
                () -> Charts.groupedBars("t", "x", "y", List.of("a"), List.of("c", "d"), new double[][] {{1}}, true));
    }

    /** Pixels of exactly {@code colour} inside {@code area}. */
    private static long pixels(BufferedImage image, Rectangle2D area, Color colour) {
        long n = 0;
        for (int y = (int) area.getMinY(); y < (int) area.getMaxY(); y++) {
            for (int x = (int) area.getMinX(); x < (int) area.getMaxX(); x++) {
                if ((image.getRGB(x, y) & 0xffffff) == (colour.getRGB() & 0xffffff)) {
                    n++;
                }
            }
        }
        return n;
    }

    private List<Path> list() throws IOException {
        try (var s = Files.list(dir)) {
            return s.toList();
        }
    }
}
