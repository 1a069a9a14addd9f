package dev.elfz.analyze;

import dev.elfz.analyze.Analysis.DtypeStats;
import dev.elfz.analyze.Analysis.Histogram;
import java.util.List;
import java.util.Locale;

/**
 * The parameter distribution as an SVG picture (no dependency, no fonts needed to write it): one step line per
 * float dtype, counts on a log scale, the (-1, 1) band shaded, the values outside [-2, 2) as the two edge counts.
 */
public final class HistogramSvg {

    private HistogramSvg() {}

    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
    private static final int W = 800, H = 420, LEFT = 70, RIGHT = 20, TOP = 30, BOTTOM = 50;

    /** The picture of these dtypes' histograms (those without values are left out). */
    public static String render(List<DtypeStats> dtypes) {
        List<DtypeStats> rows = dtypes.stream().filter(d -> d.values() != null).toList();
        long most = 1;
        for (DtypeStats d : rows) {
            Histogram h = d.values().histogram();
            for (long c : h.counts()) {
                most = Math.max(most, c);
            }
            most = Math.max(most, Math.max(h.below(), h.above()));
        }
        int decades = Math.max(1, (int) Math.ceil(Math.log10(most + 1)));
        double plotW = W - LEFT - RIGHT, plotH = H - TOP - BOTTOM;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", W, H, W, H));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", W, H));
        double x1 = x(-1, plotW), x2 = x(1, plotW);
        s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" fill=\"#eeeeee\"/>%n",
                x1, TOP, x2 - x1, plotH));
        s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#777777\">(-1, 1)</text>%n",
                (x1 + x2) / 2, TOP - 8));
        for (int d = 0; d <= decades; d++) { // the axis is log10(1 + count): 0 at the bottom, 10^d at d
            double y = TOP + plotH - (double) d / decades * plotH;
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#dddddd\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT, y, W - RIGHT, y, LEFT - 6, y + 4,
                    d == 0 ? "0" : "1e" + d));
        }
        for (double v = -2; v <= 2; v += 0.5) {
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    x(v, plotW), H - BOTTOM + 18, v == -2 ? "&lt; -2" : v == 2 ? "&gt;= 2" : String.format(Locale.ROOT, "%.1f", v)));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">value (0.02 bins); count, log scale</text>%n",
                LEFT + plotW / 2, H - 10));
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"black\"/>%n",
                LEFT, TOP, plotW, plotH));
        for (int i = 0; i < rows.size(); i++) {
            Histogram h = rows.get(i).values().histogram();
            String colour = COLOURS[i % COLOURS.length];
            StringBuilder points = new StringBuilder();
            double bin = (h.high() - h.low()) / h.counts().length;
            for (int b = 0; b < h.counts().length; b++) {
                double y = y(h.counts()[b], decades, plotH);
                points.append(String.format(Locale.ROOT, "%.1f,%.1f %.1f,%.1f ", x(h.low() + b * bin, plotW), y,
                        x(h.low() + (b + 1) * bin, plotW), y));
            }
            s.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"%s\"/>%n",
                    colour, points.toString().strip()));
            for (double[] edge : new double[][] {{-2, h.below()}, {2, h.above()}}) {
                s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n",
                        x(edge[0], plotW), y((long) edge[1], decades, plotH), colour));
            }
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>%n", W - RIGHT - 60,
                    TOP + 18 + 16 * i, colour, rows.get(i).dtype()));
        }
        s.append("</svg>\n");
        return s.toString();
    }

    private static double x(double v, double plotW) {
        return LEFT + (v + 2) / 4 * plotW;
    }

    /** log10(1 + count), so 0 sits on the axis. */
    private static double y(double count, int decades, double plotH) {
        return TOP + plotH - Math.log10(1 + count) / decades * plotH;
    }
}
