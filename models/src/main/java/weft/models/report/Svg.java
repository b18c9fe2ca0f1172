package weft.models.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * weft's small SVG writer: linear scales, "nice" axis ticks, label formatting, XML escaping and
 * the elements charts are drawn with (lines, rectangles, polylines split at missing values,
 * bands, markers, text, axes). Coordinates are pixels with y growing downwards; everything is
 * written with one decimal. The markup is also well-formed XML, so a page embedding it can be
 * checked with an XML parser.
 */
public final class Svg {
    /** Height of one line of axis text, in pixels (labels are 11 px). */
    public static final double FONT = 11;
    /** Average advance of one character of an 11 px sans-serif label, for layout estimates. */
    public static final double CHAR_W = 6.3;

    /**
     * A linear map from the domain [d0, d1] to the pixel range [r0, r1]. For a y axis r0 is the
     * bottom pixel and r1 the top one. A degenerate domain (d0 == d1) maps to the middle of the range.
     */
    public record Scale(double d0, double d1, double r0, double r1) {
        public double map(double v) {
            if (d1 == d0) {
                return (r0 + r1) / 2;
            }
            return r0 + (v - d0) / (d1 - d0) * (r1 - r0);
        }
    }

    /**
     * Axis ticks: {@code values} are the multiples of {@code step} from {@code lo} to {@code hi},
     * and [lo, hi] is the data range widened to whole steps (the domain to draw). The step is 1,
     * 2 or 5 times a power of ten; labels get as many decimals as the step needs.
     */
    public record Ticks(double lo, double hi, double step, double[] values, int decimals) {
        /** The label of tick value {@code v}: fixed-point with {@link #decimals} digits, never "-0". */
        public String label(double v) {
            return fixed(v, decimals);
        }
    }

    /**
     * Nice ticks covering [min, max] with at most {@code target} intervals (at least 1): e.g.
     * 0..0.4123 gives 0, 0.1, ..., 0.5. Non-finite bounds give 0..1; an empty range (min == max)
     * is widened by 10 % of the value on both sides (0 gives 0..1).
     */
    public static Ticks ticks(double min, double max, int target) {
        target = Math.max(1, target);
        if (!Double.isFinite(min) || !Double.isFinite(max)) {
            min = 0;
            max = 1;
        }
        if (min > max) {
            double t = min;
            min = max;
            max = t;
        }
        if (min == max) {
            double pad = min == 0 ? 1 : Math.abs(min) * 0.1;
            min = min == 0 ? 0 : min - pad;
            max = max + pad;
        }
        double span = max - min;
        int e = (int) Math.floor(Math.log10(span / target));
        int[] mults = {1, 2, 5, 10, 20, 50};
        for (int m : mults) {
            int me = m >= 10 ? m / 10 : m;
            int ee = m >= 10 ? e + 1 : e;
            double step = value(1, me, ee);
            long iLo = (long) Math.floor(min / step + 1e-7);
            long iHi = (long) Math.ceil(max / step - 1e-7);
            if (iHi - iLo <= target) {
                if (iHi == iLo) {
                    iHi++;
                }
                double[] vs = new double[(int) (iHi - iLo + 1)];
                for (int i = 0; i < vs.length; i++) {
                    vs[i] = value(iLo + i, me, ee);
                }
                return new Ticks(vs[0], vs[vs.length - 1], step, vs, Math.max(0, -ee));
            }
        }
        throw new AssertionError("no tick step for " + min + ".." + max); // 50 * 10^e always fits
    }

    /** i * m * 10^e computed so that decimal ticks are the doubles nearest to their decimal value (0.3, not 0.30000000000000004). */
    private static double value(long i, int m, int e) {
        return e >= 0 ? i * m * Math.pow(10, e) : (double) (i * m) / Math.pow(10, -e);
    }

    /** {@code v} with {@code decimals} digits after the point, never "-0"; "-" for NaN. */
    public static String fixed(double v, int decimals) {
        if (!Double.isFinite(v)) {
            return Double.isNaN(v) ? "-" : (v > 0 ? "inf" : "-inf");
        }
        String s = String.format(Locale.ROOT, "%." + Math.max(0, decimals) + "f", v);
        return s.matches("-0(\\.0*)?") ? s.substring(1) : s;
    }

    /** Escapes the five XML special characters (and drops control characters XML forbids). */
    public static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&': sb.append("&amp;"); break;
                case '<': sb.append("&lt;"); break;
                case '>': sb.append("&gt;"); break;
                case '"': sb.append("&quot;"); break;
                case '\'': sb.append("&#39;"); break;
                default:
                    if (c >= 0x20 || c == '\n' || c == '\t') {
                        sb.append(c);
                    }
            }
        }
        return sb.toString();
    }

    /** A pixel coordinate with one decimal. */
    static String n(double v) {
        return fixed(Math.round(v * 10) / 10.0, 1);
    }

    /**
     * The runs of consecutive points whose x and y are both finite: a missing value (NaN) breaks
     * the line instead of being drawn as 0. Each run is a list of {x, y} pairs in data units.
     */
    public static List<List<double[]>> segments(double[] x, double[] y) {
        List<List<double[]>> out = new ArrayList<>();
        List<double[]> cur = null;
        int n = Math.min(x.length, y.length);
        for (int i = 0; i < n; i++) {
            if (Double.isFinite(x[i]) && Double.isFinite(y[i])) {
                if (cur == null) {
                    cur = new ArrayList<>();
                    out.add(cur);
                }
                cur.add(new double[] {x[i], y[i]});
            } else {
                cur = null;
            }
        }
        return out;
    }

    /** Estimated width in pixels of {@code text} at the label size. */
    public static double textWidth(String text) {
        return text.length() * CHAR_W;
    }

    /** {@code text} cut to {@code maxChars} with an ellipsis. */
    public static String clip(String text, int maxChars) {
        return text.length() <= maxChars ? text : text.substring(0, Math.max(1, maxChars - 1)) + "\u2026";
    }

    private final StringBuilder sb = new StringBuilder();
    private final double width;
    private final double height;

    /** Starts a drawing of {@code width} x {@code height} pixels; {@code title} is its accessible name and tooltip. */
    public Svg(double width, double height, String title) {
        this.width = width;
        this.height = height;
        sb.append("<svg class=\"chart\" width=\"").append(n(width)).append("\" height=\"").append(n(height))
                .append("\" viewBox=\"0 0 ").append(n(width)).append(' ').append(n(height))
                .append("\" role=\"img\" aria-label=\"").append(esc(title)).append("\">\n");
    }

    public double width() {
        return width;
    }

    public double height() {
        return height;
    }

    /** Appends raw markup (already escaped). */
    public Svg raw(String markup) {
        sb.append(markup);
        return this;
    }

    public Svg line(double x1, double y1, double x2, double y2, String attrs) {
        sb.append("<line x1=\"").append(n(x1)).append("\" y1=\"").append(n(y1)).append("\" x2=\"").append(n(x2))
                .append("\" y2=\"").append(n(y2)).append("\" ").append(attrs).append("/>\n");
        return this;
    }

    /** A rectangle; a negative width or height is drawn from the other corner. */
    public Svg rect(double x, double y, double w, double h, String attrs, String tooltip) {
        if (w < 0) {
            x += w;
            w = -w;
        }
        if (h < 0) {
            y += h;
            h = -h;
        }
        sb.append("<rect x=\"").append(n(x)).append("\" y=\"").append(n(y)).append("\" width=\"").append(n(w))
                .append("\" height=\"").append(n(h)).append("\" ").append(attrs);
        return close("rect", tooltip);
    }

    public Svg circle(double cx, double cy, double r, String attrs, String tooltip) {
        sb.append("<circle cx=\"").append(n(cx)).append("\" cy=\"").append(n(cy)).append("\" r=\"").append(n(r))
                .append("\" ").append(attrs);
        return close("circle", tooltip);
    }

    private Svg close(String tag, String tooltip) {
        if (tooltip == null) {
            sb.append("/>\n");
        } else {
            sb.append("><title>").append(esc(tooltip)).append("</title></").append(tag).append(">\n");
        }
        return this;
    }

    /** Text at (x, y) (the baseline); {@code anchor} is start, middle or end. */
    public Svg text(double x, double y, String anchor, String text, String attrs) {
        sb.append("<text x=\"").append(n(x)).append("\" y=\"").append(n(y)).append("\" text-anchor=\"").append(anchor)
                .append('"').append(attrs.isEmpty() ? "" : " " + attrs).append('>').append(esc(text)).append("</text>\n");
        return this;
    }

    /** One polyline through {@code pts} (pixel pairs); nothing for fewer than two points. */
    public Svg polyline(List<double[]> pts, String attrs, String tooltip) {
        if (pts.size() < 2) {
            return this;
        }
        sb.append("<polyline points=\"");
        for (int i = 0; i < pts.size(); i++) {
            sb.append(i == 0 ? "" : " ").append(n(pts.get(i)[0])).append(',').append(n(pts.get(i)[1]));
        }
        sb.append("\" fill=\"none\" ").append(attrs);
        return close("polyline", tooltip);
    }

    /**
     * A closed band between {@code upper} and {@code lower}, both pixel pairs in the same x order:
     * along the upper edge, back along the lower one. Nothing for fewer than two points.
     */
    public Svg band(List<double[]> upper, List<double[]> lower, String attrs) {
        if (upper.size() < 2 || lower.size() != upper.size()) {
            return this;
        }
        sb.append("<path d=\"");
        for (int i = 0; i < upper.size(); i++) {
            sb.append(i == 0 ? "M" : " L").append(n(upper.get(i)[0])).append(',').append(n(upper.get(i)[1]));
        }
        for (int i = lower.size() - 1; i >= 0; i--) {
            sb.append(" L").append(n(lower.get(i)[0])).append(',').append(n(lower.get(i)[1]));
        }
        sb.append(" Z\" ").append(attrs).append("/>\n");
        return this;
    }

    /**
     * A y axis at pixel x {@code left} for scale {@code y}: tick labels to the left and light
     * grid lines across to {@code right}.
     */
    public Svg yAxis(Scale y, Ticks t, double left, double right) {
        for (double v : t.values()) {
            double py = y.map(v);
            line(left, py, right, py, "class=\"grid\"");
            text(left - 5, py + 3.5, "end", t.label(v), "class=\"tick\"");
        }
        line(left, y.r0(), left, y.r1(), "class=\"axis\"");
        return this;
    }

    /** An x axis at pixel y {@code bottom} for scale {@code x}: tick marks and labels below. */
    public Svg xAxis(Scale x, Ticks t, double bottom) {
        for (double v : t.values()) {
            double px = x.map(v);
            line(px, bottom, px, bottom + 4, "class=\"axis\"");
            text(px, bottom + 15, "middle", t.label(v), "class=\"tick\"");
        }
        line(x.r0(), bottom, x.r1(), bottom, "class=\"axis\"");
        return this;
    }

    /** The finished drawing. */
    @Override
    public String toString() {
        return sb + "</svg>\n";
    }
}
