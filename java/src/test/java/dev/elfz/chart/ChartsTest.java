package dev.elfz.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Graphics2D;
import java.awt.geom.Point2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotRenderingInfo;
import org.jfree.chart.plot.PlotState;
import org.jfree.chart.plot.XYPlot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Charts: the format from the extension, whole files or none, and a histogram without data. */
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
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Charts.Format.of(Path.of(name)));
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
            public void draw(Graphics2D g2, Rectangle2D area, Point2D anchor, PlotState parentState, PlotRenderingInfo info) {
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
        assertEquals("svg", DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(svg.toFile())
                .getDocumentElement().getTagName());
        assertFalse(Files.readString(svg).contains("<!DOCTYPE"), "no DTD for a parser to fetch");
    }

    /** Zero counts are gaps, not log(0): the line has no point in an empty bin, and all-zero still draws. */
    @Test
    void zeroCountsAreGaps() throws IOException {
        long[] counts = {0, 5, 0, 0, 7, 0};
        JFreeChart chart = Charts.histogram("gaps", "x", "count",
                List.of(new Charts.Binned("a", 0, 6, 0, counts, 3), new Charts.Binned("zeros", 0, 6, 0, new long[6], 0)),
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

    private List<Path> list() throws IOException {
        try (var s = Files.list(dir)) {
            return s.toList();
        }
    }
}
