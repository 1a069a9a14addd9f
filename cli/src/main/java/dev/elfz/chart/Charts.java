package dev.elfz.chart;

import dev.elfz.io.AtomicFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.Axis;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.LogarithmicAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.TickUnits;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.IntervalMarker;
import org.jfree.chart.plot.Plot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.PlotRenderingInfo;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.CategoryItemRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYItemRenderer;
import org.jfree.chart.renderer.xy.XYItemRendererState;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.title.Title;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.CategoryDataset;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;
import org.jfree.svg.ViewBox;

/**
 * elfz's charts: one look (white ground, a fixed palette) and one way to write them, as PNG or SVG by the file's
 * extension, whole or not at all. Drawn by JFreeChart; SVG through JFreeSVG, so both formats are the same chart.
 */
public final class Charts {

    // Before any AWT class initializes (java.awt.Color reads it once): a CLI has no display, and without this AWT
    // may look for an X server when DISPLAY is set. An explicit -Djava.awt.headless is left as it is.
    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private Charts() {}

    /** The default picture size, in pixels (PNG) or user units (SVG). */
    public static final int WIDTH = 1000, HEIGHT = 560;

    /** Series colours, in order (matplotlib's first six, told apart by most readers). */
    public static final List<Color> PALETTE = List.of(
            new Color(0x1f77b4),
            new Color(0xd62728),
            new Color(0x2ca02c),
            new Color(0xff7f0e),
            new Color(0x9467bd),
            new Color(0x8c564b));

    /** The fill of a marked band (an interval of the domain), opaque so that it reads the same in both formats. */
    public static final Color BAND = new Color(0xe4ecf4);

    public static final Color GRID = new Color(0xdddddd);

    /** The picture formats {@link #save} writes. */
    public enum Format {
        PNG,
        SVG;

        /** The format of a file name's extension (either case). */
        public static Format of(Path file) {
            String name = file.getFileName() == null
                    ? ""
                    : file.getFileName().toString().toLowerCase(Locale.ROOT);
            if (name.endsWith(".png")) {
                return PNG;
            }
            if (name.endsWith(".svg")) {
                return SVG;
            }
            throw new IllegalArgumentException("only .png and .svg pictures are written: " + file);
        }
    }

    public static Color colour(int series) {
        return PALETTE.get(series % PALETTE.size());
    }

    /**
     * A log-scale axis for counts: ticks at whole powers of ten (10^k, with minor ticks at 2..9 x 10^k when every decade
     * has a tick). Zeros must be left out of the data (as nulls): log 0 has no place on it.
     */
    public static LogAxis logAxis(String label) {
        LogAxis axis = new LogAxis(label);
        axis.setBase(10);
        TickUnits decades = new TickUnits(); // in the axis' exponent space
        for (int k : new int[] {1, 2, 3, 5, 10, 20, 50, 100}) {
            decades.add(new NumberTickUnit(
                    k, new DecimalFormat("0", DecimalFormatSymbols.getInstance(Locale.ROOT)), k == 1 ? 9 : 0));
        }
        axis.setStandardTickUnits(decades);
        axis.setMinorTickMarksVisible(true);
        axis.setSmallestValue(0.5); // an empty plot still gets a range
        return axis;
    }

    /**
     * The house style: white ground, light grid, the palette on every renderer's series (so that series i has one
     * colour across datasets), lines of 1.5, sans-serif text, the legend below; for XY and category (bar) plots.
     */
    public static JFreeChart style(JFreeChart chart) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.setAntiAlias(true);
        TextTitle title = chart.getTitle();
        if (title != null) {
            title.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        }
        for (int i = 0; i < chart.getSubtitleCount(); i++) {
            Title t = chart.getSubtitle(i);
            if (t instanceof LegendTitle legend) {
                legend.setPosition(RectangleEdge.BOTTOM);
                legend.setItemFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
                legend.setFrame(BlockBorder.NONE);
            } else if (t instanceof TextTitle text) {
                text.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            }
        }
        Plot plot = chart.getPlot();
        plot.setBackgroundPaint(Color.WHITE);
        if (plot instanceof XYPlot xy) {
            xy.setDomainGridlinePaint(GRID);
            xy.setRangeGridlinePaint(GRID);
            xy.setOutlinePaint(Color.GRAY);
            for (int a = 0; a < xy.getDomainAxisCount(); a++) {
                axisFonts(xy.getDomainAxis(a));
            }
            for (int a = 0; a < xy.getRangeAxisCount(); a++) {
                axisFonts(xy.getRangeAxis(a));
            }
            for (int r = 0; r < xy.getRendererCount(); r++) {
                XYItemRenderer renderer = xy.getRenderer(r);
                if (renderer == null) {
                    continue; // its dataset is drawn by renderer 0
                }
                int series = xy.getDataset(r) == null ? 0 : xy.getDataset(r).getSeriesCount();
                for (int s = 0; s < series; s++) {
                    renderer.setSeriesPaint(s, colour(s));
                    renderer.setSeriesStroke(s, new BasicStroke(1.5f));
                }
            }
        } else if (plot instanceof CategoryPlot cat) {
            cat.setDomainGridlinesVisible(false);
            cat.setRangeGridlinePaint(GRID);
            cat.setOutlinePaint(Color.GRAY);
            for (int a = 0; a < cat.getDomainAxisCount(); a++) {
                axisFonts(cat.getDomainAxis(a));
            }
            for (int a = 0; a < cat.getRangeAxisCount(); a++) {
                axisFonts(cat.getRangeAxis(a));
            }
            for (int r = 0; r < cat.getRendererCount(); r++) {
                CategoryItemRenderer renderer = cat.getRenderer(r);
                CategoryDataset data = cat.getDataset(r);
                for (int s = 0; renderer != null && data != null && s < data.getRowCount(); s++) {
                    renderer.setSeriesPaint(s, colour(s));
                }
            }
        }
        return chart;
    }

    private static void axisFonts(Axis axis) {
        if (axis != null) {
            axis.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            axis.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        }
    }

    /**
     * Bars in groups: a group per category (in the given order), in it a bar per series (in order, the series' palette
     * colour, flat: no gradient, shadow or outline). {@code values[s][c]} is series s in category c; NaN leaves that
     * bar out (its place stays empty). Horizontal bars put the categories down the left, which suits long names and
     * many groups; the value axis starts at 0.
     */
    public static JFreeChart groupedBars(
            String title,
            String categoryLabel,
            String valueLabel,
            List<String> series,
            List<String> categories,
            double[][] values,
            boolean horizontal) {
        if (values.length != series.size()) {
            throw new IllegalArgumentException(values.length + " rows of values for " + series.size() + " series");
        }
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (int s = 0; s < series.size(); s++) {
            if (values[s].length != categories.size()) {
                throw new IllegalArgumentException(
                        series.get(s) + ": " + values[s].length + " values for " + categories.size() + " categories");
            }
            for (int c = 0; c < categories.size(); c++) {
                data.addValue(Double.isNaN(values[s][c]) ? null : values[s][c], series.get(s), categories.get(c));
            }
        }
        CategoryAxis x = new CategoryAxis(categoryLabel);
        x.setCategoryMargin(0.25);
        x.setMaximumCategoryLabelLines(2);
        NumberAxis y = new NumberAxis(valueLabel);
        y.setAutoRangeIncludesZero(true);
        BarRenderer bars = new BarRenderer();
        bars.setBarPainter(new StandardBarPainter());
        bars.setShadowVisible(false);
        bars.setDrawBarOutline(false);
        bars.setItemMargin(0.04);
        CategoryPlot plot = new CategoryPlot(data, x, y, bars);
        plot.setOrientation(horizontal ? PlotOrientation.HORIZONTAL : PlotOrientation.VERTICAL);
        plot.setRangeAxisLocation(AxisLocation.BOTTOM_OR_LEFT); // values below horizontal bars, left of vertical ones
        plot.setNoDataMessage("no values");
        return style(new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true));
    }

    /** One series of a histogram: equal bins over [low, high) and the counts outside them. */
    public record Binned(String name, double low, double high, long below, long[] counts, long above) {}

    /** A marked interval of the x axis. */
    public record Band(double low, double high, String label) {}

    /**
     * Histograms as step lines, one per series, counts on a log scale: a bin's count is a flat segment over the bin,
     * empty bins break the line (log 0 has no place), the counts below and above the range are points just outside it.
     */
    public static JFreeChart histogram(String title, String xLabel, String yLabel, List<Binned> series, Band band) {
        XYSeriesCollection steps = new XYSeriesCollection(), outside = new XYSeriesCollection();
        double low = Double.POSITIVE_INFINITY, high = Double.NEGATIVE_INFINITY;
        for (Binned b : series) {
            XYSeries s = new XYSeries(b.name(), false, true); // in insertion order: a step has two points at one x
            double width = (b.high() - b.low()) / b.counts().length;
            for (int i = 0; i < b.counts().length; i++) {
                double left = b.low() + i * width;
                if (b.counts()[i] > 0) {
                    s.add(left, b.counts()[i]);
                    s.add(left + width, b.counts()[i]);
                } else {
                    s.add(left + width / 2, null);
                }
            }
            steps.addSeries(s);
            XYSeries o = new XYSeries(b.name() + " outside", false, true);
            double gap = (b.high() - b.low()) / 80;
            o.add(b.low() - gap, b.below() > 0 ? b.below() : null);
            o.add(b.high() + gap, b.above() > 0 ? b.above() : null);
            outside.addSeries(o);
            low = Math.min(low, b.low() - 2 * gap);
            high = Math.max(high, b.high() + 2 * gap);
        }
        NumberAxis x = new NumberAxis(xLabel);
        if (low < high) {
            x.setRange(low, high);
        }
        XYLineAndShapeRenderer lines = new XYLineAndShapeRenderer(true, false);
        lines.setDrawSeriesLineAsPath(true); // one path per series (it breaks at nulls), not one per segment
        XYPlot plot = new XYPlot(steps, x, logAxis(yLabel), lines);
        XYLineAndShapeRenderer points = new XYLineAndShapeRenderer(false, true);
        points.setDefaultSeriesVisibleInLegend(false);
        points.setAutoPopulateSeriesShape(false); // one shape for all: the colour tells the series
        points.setDefaultShape(new Ellipse2D.Double(-3.5, -3.5, 7, 7));
        plot.setDataset(1, outside);
        plot.setRenderer(1, points);
        plot.setNoDataMessage("no values");
        if (band != null) {
            IntervalMarker marker = new IntervalMarker(band.low(), band.high(), BAND);
            marker.setAlpha(1f);
            marker.setLabel(band.label());
            marker.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            marker.setLabelPaint(Color.DARK_GRAY);
            marker.setLabelBackgroundColor(BAND);
            marker.setLabelAnchor(RectangleAnchor.TOP);
            marker.setLabelTextAnchor(TextAnchor.TOP_CENTER);
            plot.addDomainMarker(marker, Layer.BACKGROUND);
        }
        return style(new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true));
    }

    /** A named point of a scatter chart. */
    public record Point(double x, double y, String label) {}

    /** One series of a scatter chart. */
    public record Points(String name, List<Point> points) {}

    /**
     * Points, one colour and shape per series, each labelled, both axes on a log scale (for ratios and speeds that
     * span decades). Points at or below 0 are left out: log 0 has no place.
     */
    public static JFreeChart scatter(String title, String xLabel, String yLabel, List<Points> series) {
        return points(title, xLabel, yLabel, series, true, false);
    }

    /**
     * Labelled points joined in their order, a line per series: x on a log scale, y linear (a measure of
     * fidelity against a ratio: a rate-fidelity curve).
     */
    public static JFreeChart lines(String title, String xLabel, String yLabel, List<Points> series) {
        return points(title, xLabel, yLabel, series, false, true);
    }

    private static JFreeChart points(
            String title, String xLabel, String yLabel, List<Points> series, boolean logY, boolean joined) {
        XYSeriesCollection data = new XYSeriesCollection();
        List<List<String>> labels = new ArrayList<>();
        for (Points p : series) {
            XYSeries s = new XYSeries(p.name(), false, true);
            List<String> l = new ArrayList<>();
            for (Point q : p.points()) {
                if (q.x() > 0 && (q.y() > 0 || !logY)) {
                    s.add(q.x(), q.y());
                    l.add(q.label());
                }
            }
            data.addSeries(s);
            labels.add(l);
        }
        XYLineAndShapeRenderer points = new UncrowdedLabels(joined);
        points.setDefaultItemLabelGenerator((dataset, s, i) -> labels.get(s).get(i));
        points.setDefaultItemLabelsVisible(true);
        points.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 9));
        // LogarithmicAxis labels its ticks as plain numbers (1, 2, 5, 10...), which reads better here than 10^0.3
        LogarithmicAxis x = new LogarithmicAxis(xLabel);
        x.setStrictValuesFlag(false);
        x.setAutoRangeNextLogFlag(false);
        ValueAxis y;
        if (logY) {
            LogarithmicAxis log = new LogarithmicAxis(yLabel);
            log.setStrictValuesFlag(false);
            log.setAutoRangeNextLogFlag(false);
            y = log;
        } else {
            NumberAxis linear = new NumberAxis(yLabel);
            linear.setAutoRangeIncludesZero(false);
            y = linear;
        }
        XYPlot plot = new XYPlot(data, x, y, points);
        plot.setNoDataMessage("no points");
        return style(new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true));
    }

    /**
     * Draws each point's label at the first of a few places around it (above, below, right, left, then the corners)
     * where it covers no point and no label drawn before: JFreeChart puts every label above its point, so close
     * points of two series (a ratio reached by two codecs, -T1 and -T2 of one mode) wrote over each other.
     */
    static final class UncrowdedLabels extends XYLineAndShapeRenderer {
        private static final double GAP = 4; // between a point and its label, in Java2D units
        private static final double MARK = 4; // half the side of the square kept free around every point

        private final transient List<Rectangle2D> taken = new ArrayList<>();
        private transient Rectangle2D area = new Rectangle2D.Double();

        UncrowdedLabels(boolean lines) {
            super(lines, true);
        }

        @Override
        public XYItemRendererState initialise(
                Graphics2D g2, Rectangle2D area, XYPlot plot, XYDataset data, PlotRenderingInfo info) {
            this.area = area;
            taken.clear(); // once per drawing: every point's square is taken before any label is placed
            for (int s = 0; s < data.getSeriesCount(); s++) {
                for (int i = 0; i < data.getItemCount(s); i++) {
                    double x = plot.getDomainAxis().valueToJava2D(data.getXValue(s, i), area, plot.getDomainAxisEdge());
                    double y = plot.getRangeAxis().valueToJava2D(data.getYValue(s, i), area, plot.getRangeAxisEdge());
                    taken.add(new Rectangle2D.Double(x - MARK, y - MARK, 2 * MARK, 2 * MARK));
                }
            }
            return super.initialise(g2, area, plot, data, info);
        }

        @Override
        protected void drawItemLabel(
                Graphics2D g2,
                PlotOrientation orientation,
                XYDataset data,
                int series,
                int item,
                double x,
                double y,
                boolean negative) {
            String label = getItemLabelGenerator(series, item).generateLabel(data, series, item);
            g2.setFont(getItemLabelFont(series, item));
            g2.setPaint(lookupSeriesPaint(series)); // in its series' colour: a label away from its point is still known
            FontMetrics fm = g2.getFontMetrics();
            Rectangle2D place = place(area, taken, x, y, fm.stringWidth(label), fm.getAscent() + fm.getDescent());
            taken.add(place);
            g2.drawString(label, (float) place.getX(), (float) (place.getY() + fm.getAscent()));
        }

        /**
         * Where a w x h label of the point (x, y) goes: the first candidate inside {@code area} that meets nothing
         * {@code taken}.
         */
        static Rectangle2D place(Rectangle2D area, List<Rectangle2D> taken, double x, double y, double w, double h) {
            double[][] corners = { // top-left corners of the candidates, in order of preference
                {x - w / 2, y - GAP - h},
                {x - w / 2, y + GAP},
                {x + GAP + MARK, y - h / 2},
                {x - GAP - MARK - w, y - h / 2},
                {x + GAP, y - GAP - h},
                {x - GAP - w, y - GAP - h},
                {x + GAP, y + GAP},
                {x - GAP - w, y + GAP}
            };
            for (double[] c : corners) {
                Rectangle2D r = new Rectangle2D.Double(c[0], c[1], w, h);
                if (area.contains(r) && taken.stream().noneMatch(r::intersects)) {
                    return r;
                }
            }
            return new Rectangle2D.Double(
                    corners[0][0], corners[0][1], w, h); // crowded all round: above, as JFreeChart
        }
    }

    /** {@link #save(JFreeChart, Path, int, int)} at the default size. */
    public static void save(JFreeChart chart, Path file) throws IOException {
        save(chart, file, WIDTH, HEIGHT);
    }

    /**
     * Writes the chart as PNG or SVG, by {@code file}'s extension ({@link Format#of}); an existing file is replaced
     * atomically, and on failure it is left as it was.
     *
     * @throws IllegalArgumentException for another extension, before anything is written
     */
    public static void save(JFreeChart chart, Path file, int width, int height) throws IOException {
        Format format = Format.of(file);
        AtomicFiles.writeFile(file, true, out -> {
            switch (format) {
                case PNG -> {
                    BufferedImage image = chart.createBufferedImage(width, height, BufferedImage.TYPE_INT_RGB, null);
                    // in memory: ImageIO's default cache is a temporary file in java.io.tmpdir
                    try (ImageOutputStream png = new MemoryCacheImageOutputStream(out)) {
                        if (!ImageIO.write(image, "png", png)) {
                            throw new IOException(file + ": this JDK has no PNG writer");
                        }
                    }
                }
                case SVG -> {
                    SVGGraphics2D g = new SVGGraphics2D(width, height);
                    chart.draw(g, new Rectangle(0, 0, width, height));
                    // no DOCTYPE (getSVGDocument's points to the W3C's DTD, which XML parsers then fetch); a viewBox
                    // so that the picture scales
                    String svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                            + g.getSVGElement(null, true, new ViewBox(0, 0, width, height), null, null) + "\n";
                    out.write(svg.getBytes(StandardCharsets.UTF_8));
                }
            }
        });
    }
}
