package dev.elfz.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.XYPlot;
import org.jfree.data.Range;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scatter chart of the peer comparison: points where the data puts them, labelled, on log axes. */
class ScatterChartTest {

    @TempDir
    Path dir;

    @Test
    void pointsLandOnLogAxesWithTheirSeriesColour() throws Exception {
        List<Charts.Points> series = List.of(
                new Charts.Points(
                        "elfz", List.of(new Charts.Point(300, 1.5, "elf"), new Charts.Point(250, 25, "uniform 4"))),
                new Charts.Points(
                        "zstd", List.of(new Charts.Point(400, 1.08, "-3"), new Charts.Point(0, 1.1, "dropped"))));
        JFreeChart chart = Charts.scatter("t", "MB/s", "ratio", series);
        XYPlot plot = chart.getXYPlot();
        assertEquals(2, plot.getDataset().getSeriesCount());
        assertEquals(1, plot.getDataset().getItemCount(1), "a point at 0 has no place on a log axis");
        assertEquals(
                "uniform 4", plot.getRenderer().getDefaultItemLabelGenerator().generateLabel(plot.getDataset(), 0, 1));
        Path png = dir.resolve("s.png");
        Charts.save(chart, png);
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(Charts.WIDTH, image.getWidth());
        // the same chart drawn here, for where its data area lies and the axes' ranges
        ChartRenderingInfo info = new ChartRenderingInfo();
        BufferedImage here = chart.createBufferedImage(Charts.WIDTH, Charts.HEIGHT, BufferedImage.TYPE_INT_RGB, info);
        for (int x = 0; x < image.getWidth(); x++) {
            for (int y = 0; y < image.getHeight(); y++) {
                assertEquals(here.getRGB(x, y), image.getRGB(x, y), "the file is the chart, at " + x + "," + y);
            }
        }
        Rectangle2D area = info.getPlotInfo().getDataArea();
        Range xr = plot.getDomainAxis().getRange();
        Range yr = plot.getRangeAxis().getRange();
        // each point's square in its series' colour where log10 puts it within the data area, and not the other's
        double[][] points = {{300, 1.5, 0}, {250, 25, 0}, {400, 1.08, 1}};
        for (double[] p : points) {
            int x = (int) Math.round(area.getMinX() + fraction(p[0], xr) * area.getWidth());
            int y = (int) Math.round(area.getMaxY() - fraction(p[1], yr) * area.getHeight());
            int own = (int) p[2];
            assertTrue(coloured(image, Charts.colour(own), x, y) >= 9, "series " + own + " at " + p[0] + ", " + p[1]);
            assertEquals(0, coloured(image, Charts.colour(1 - own), x, y), "only its own colour at " + p[0]);
        }
    }

    /** Where v lies between the ends of a log axis, 0 to 1. */
    private static double fraction(double v, Range r) {
        return (Math.log10(v) - Math.log10(r.getLowerBound()))
                / (Math.log10(r.getUpperBound()) - Math.log10(r.getLowerBound()));
    }

    /** Pixels of this colour within 3 of (x, y). */
    private static int coloured(BufferedImage image, Color c, int x, int y) {
        int n = 0;
        for (int i = x - 3; i <= x + 3; i++) {
            for (int j = y - 3; j <= y + 3; j++) {
                n += (image.getRGB(i, j) & 0xffffff) == (c.getRGB() & 0xffffff) ? 1 : 0;
            }
        }
        return n;
    }

    @Test
    void labelsOfClosePointsGoWhereNothingIsDrawn() {
        Rectangle2D area = new Rectangle2D.Double(0, 0, 400, 300);
        List<Rectangle2D> taken = new ArrayList<>();
        taken.add(new Rectangle2D.Double(96, 96, 8, 8)); // the point's own square
        Rectangle2D first = Charts.UncrowdedLabels.place(area, taken, 100, 100, 30, 10);
        assertTrue(first.getMaxY() <= 96 && first.getCenterX() == 100, "above its point: " + first);
        taken.add(first);
        Rectangle2D second = Charts.UncrowdedLabels.place(area, taken, 102, 100, 30, 10); // a point 2 px away
        assertTrue(taken.stream().noneMatch(second::intersects), "another place: " + second);
        assertTrue(second.getMinY() >= 100, "below it, the next choice: " + second);
        Rectangle2D atTop = Charts.UncrowdedLabels.place(area, List.of(), 200, 5, 30, 10);
        assertTrue(area.contains(atTop), "inside the plot: " + atTop);
        Rectangle2D nowhere = Charts.UncrowdedLabels.place(area, List.of(area), 200, 150, 30, 10);
        assertEquals(first.getY() - 100 + 150, nowhere.getY(), 1e-9, "crowded all round: above");
    }
}
