package weft.models.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The three charts a report draws, on {@link Svg}: lines over epochs (with a spread band, the
 * best epoch marked and the early-stopping window shaded), vertical bars with error bars, and
 * horizontal bars of ratios diverging from a reference line at 1.0. Each returns one
 * {@code <svg>} element; every line series with two or more finite points is one
 * {@code <polyline class="series">} per unbroken run of points.
 */
final class Charts {
    private Charts() {}

    /** Colours by name, the same for the whole page: colour-blind-safe (Okabe-Ito, Tol), fixed for weft's models. */
    static final class Palette {
        private static final Map<String, String> FIXED = Map.of(
                "lightgcn", "#0072B2", "bprmf", "#E69F00", "vbpr", "#56B4E9", "freedom", "#009E73",
                "hmarec", "#D55E00", "crane", "#CC79A7", "dprec", "#000000", "tmfun", "#997700",
                "popularity", "#8C8C8C");
        /** For names weft does not ship (Paul Tol's muted scheme), handed out in order of first use. */
        private static final String[] SPARE = {"#332288", "#44AA99", "#882255", "#117733", "#AA4499", "#999933",
                "#6699CC", "#994455"};
        private final Map<String, String> assigned = new LinkedHashMap<>();

        String colour(String name) {
            String fixed = FIXED.get(name.toLowerCase(Locale.ROOT));
            if (fixed != null) {
                return fixed;
            }
            return assigned.computeIfAbsent(name, k -> SPARE[assigned.size() % SPARE.length]);
        }
    }

    /** Dash patterns for series that share a colour (runs of one model with different settings). */
    static final String[] DASHES = {"", "6 3", "2 3", "8 3 2 3", "1 2"};

    /**
     * One line: values {@code y} over {@code x}; {@code lo}/{@code hi} (or null) bound a spread
     * band; {@code best} are x values to mark (best epochs); the early-stopping window runs from
     * {@code windowFrom} to {@code windowTo} (NaN for none).
     */
    record Series(String name, String colour, String dash, double[] x, double[] y, double[] lo, double[] hi,
                  double[] best, double windowFrom, double windowTo) {}

    /** A line chart of {@code series} titled {@code title}; {@code metric} names y in tooltips. */
    static String lines(String title, String metric, List<Series> series, boolean windows, double w, double h) {
        double left = 62, right = w - 14, top = 30, bottom = h - 34;
        double xmin = Double.POSITIVE_INFINITY, xmax = Double.NEGATIVE_INFINITY;
        double ymin = Double.POSITIVE_INFINITY, ymax = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < Math.min(s.x().length, s.y().length); i++) {
                if (!Double.isFinite(s.x()[i]) || !Double.isFinite(s.y()[i])) {
                    continue;
                }
                xmin = Math.min(xmin, s.x()[i]);
                xmax = Math.max(xmax, s.x()[i]);
                double lo = s.lo() != null && Double.isFinite(s.lo()[i]) ? s.lo()[i] : s.y()[i];
                double hi = s.hi() != null && Double.isFinite(s.hi()[i]) ? s.hi()[i] : s.y()[i];
                ymin = Math.min(ymin, Math.min(lo, s.y()[i]));
                ymax = Math.max(ymax, Math.max(hi, s.y()[i]));
            }
        }
        if (!(xmin <= xmax)) {
            xmin = 0;
            xmax = 1;
        }
        Svg.Ticks xt = Svg.ticks(xmin, xmax == xmin ? xmin + 1 : xmax, Math.max(2, (int) ((right - left) / 70)));
        Svg.Scale xs = new Svg.Scale(xt.lo(), xt.hi(), left, right);
        // Several series: each early-stopping window is a thin bar in a strip of its own under the data
        // (never over a curve), in the lowest lane where it overlaps no other window.
        List<Series> windowed = series.stream().filter(s -> windows && s.windowTo() > s.windowFrom()).toList();
        int[] laneOf = new int[windowed.size()];
        List<Double> laneEnds = new ArrayList<>();
        for (int k = 0; k < windowed.size() && series.size() > 1; k++) {
            double x0 = xs.map(windowed.get(k).windowFrom()), x1 = xs.map(windowed.get(k).windowTo());
            int lane = 0;
            while (lane < laneEnds.size() && laneEnds.get(lane) > x0 - 2) {
                lane++;
            }
            if (lane == laneEnds.size()) {
                laneEnds.add(x1);
            }
            laneEnds.set(lane, x1);
            laneOf[k] = lane;
        }
        double strip = laneEnds.isEmpty() ? 0 : 6 * laneEnds.size() + 8;
        double plotBottom = bottom - strip;
        Svg.Ticks yt = Svg.ticks(ymin, ymax, strip > 40 ? 4 : 5);
        Svg.Scale ys = new Svg.Scale(yt.lo(), yt.hi(), plotBottom, top);
        Svg g = new Svg(w, h, title);
        g.text(8, 16, "start", title, "class=\"title\"");
        g.yAxis(ys, yt, left, right).xAxis(xs, xt, bottom);
        g.text((left + right) / 2, h - 4, "middle", "epoch", "class=\"label\"");
        boolean any = series.stream().anyMatch(s -> Svg.segments(s.x(), s.y()).size() > 0);
        if (!any) {
            g.text((left + right) / 2, (top + bottom) / 2, "middle", "no epochs recorded", "class=\"label\"");
            return g.toString();
        }
        if (strip > 0) {
            g.line(left, plotBottom, left, bottom, "class=\"axis\"");
            g.line(left, plotBottom + 3, right, plotBottom + 3, "class=\"grid\"");
            g.text(left - 5, bottom - strip / 2 + 3, "end", "early stop", "class=\"note\"");
        }
        for (int k = 0; k < windowed.size(); k++) {
            Series s = windowed.get(k);
            double x0 = xs.map(s.windowFrom()), x1 = xs.map(s.windowTo());
            String tip = s.name() + ": early-stopping window, epochs " + Svg.fixed(s.windowFrom() + 1, 0) + " to "
                    + Svg.fixed(s.windowTo(), 0) + " (no better validation score after the best epoch)";
            if (series.size() == 1) {
                g.rect(x0, top, x1 - x0, plotBottom - top, "class=\"window\"", tip);
                if (x1 - x0 > 70) {
                    g.text((x0 + x1) / 2, top + 12, "middle", "early-stopping window", "class=\"note\"");
                }
            } else {
                g.rect(x0, bottom - 7 - 6 * laneOf[k], x1 - x0, 5, "class=\"lane\" fill=\"" + s.colour() + "\"", tip);
            }
        }
        for (Series s : series) {
            if (s.lo() == null || s.hi() == null) {
                continue;
            }
            for (List<double[]> seg : Svg.segments(s.x(), s.lo())) {
                List<double[]> up = new ArrayList<>(), down = new ArrayList<>();
                for (double[] p : seg) {
                    int i = indexOf(s.x(), p[0]);
                    if (Double.isFinite(s.hi()[i])) {
                        up.add(new double[] {xs.map(p[0]), ys.map(s.hi()[i])});
                        down.add(new double[] {xs.map(p[0]), ys.map(p[1])});
                    }
                }
                g.band(up, down, "class=\"band\" fill=\"" + s.colour() + "\"");
            }
        }
        for (Series s : series) {
            String style = "class=\"series\" stroke=\"" + s.colour() + "\""
                    + (s.dash().isEmpty() ? "" : " stroke-dasharray=\"" + s.dash() + "\"");
            for (List<double[]> seg : Svg.segments(s.x(), s.y())) {
                if (seg.size() == 1) {
                    g.circle(xs.map(seg.get(0)[0]), ys.map(seg.get(0)[1]), 3, "class=\"point\" fill=\"" + s.colour() + "\"",
                            s.name() + ": epoch " + Svg.fixed(seg.get(0)[0], 0) + ", " + metric + " " + Svg.fixed(seg.get(0)[1], 4));
                } else {
                    g.polyline(pixels(seg, xs, ys), style, s.name());
                }
            }
        }
        for (Series s : series) {
            if (s.best() == null) {
                continue;
            }
            for (double b : s.best()) {
                int i = indexOf(s.x(), b);
                if (i < 0 || !Double.isFinite(s.y()[i])) {
                    continue;
                }
                double px = xs.map(b), py = ys.map(s.y()[i]);
                if (series.size() == 1 && s.best().length == 1) {
                    g.line(px, top, px, bottom, "class=\"bestline\"");
                    g.text(px + 4, bottom - 6, "start", "best epoch " + Svg.fixed(b, 0), "class=\"note\"");
                }
                g.circle(px, py, 4.5, "class=\"best\" fill=\"" + s.colour() + "\"",
                        s.name() + ": best epoch " + Svg.fixed(b, 0) + ", " + metric + " " + Svg.fixed(s.y()[i], 4));
            }
        }
        return g.toString();
    }

    private static int indexOf(double[] xs, double x) {
        for (int i = 0; i < xs.length; i++) {
            if (xs[i] == x) {
                return i;
            }
        }
        return -1;
    }

    private static List<double[]> pixels(List<double[]> seg, Svg.Scale xs, Svg.Scale ys) {
        List<double[]> out = new ArrayList<>(seg.size());
        for (double[] p : seg) {
            out.add(new double[] {xs.map(p[0]), ys.map(p[1])});
        }
        return out;
    }

    /** One bar: {@code value} with an error bar of +-{@code err} (NaN or 0 for none) and a note under its value. */
    record Bar(String label, String colour, double value, double err, String note) {}

    /** Vertical bars from 0, one per item, value labels above them; labels slant when they do not fit. */
    static String bars(String title, List<Bar> bars, double w, double h) {
        double left = 54, right = w - 14, top = 58;
        double band = (right - left) / Math.max(1, bars.size());
        double longest = bars.stream().mapToDouble(b -> Svg.textWidth(b.label())).max().orElse(0);
        boolean slant = longest > band - 6;
        if (slant) { // slanted labels end under their bar: the first one must not run off the left edge
            double first = bars.isEmpty() ? 0 : Svg.textWidth(Svg.clip(bars.get(0).label(), 26)) * Math.cos(Math.toRadians(35));
            left = Math.max(left, Math.min(w / 3, first - band / 2 + 6));
            band = (right - left) / Math.max(1, bars.size());
        }
        double below = slant ? 16 + Math.min(longest, 160) * 0.57 : 22;
        double bottom = h - below;
        double ymax = 0;
        for (Bar b : bars) {
            double e = Double.isFinite(b.err()) ? b.err() : 0;
            if (Double.isFinite(b.value())) {
                ymax = Math.max(ymax, b.value() + e);
            }
        }
        Svg.Ticks yt = Svg.ticks(0, ymax > 0 ? ymax : 1, 5);
        Svg.Scale ys = new Svg.Scale(yt.lo(), yt.hi(), bottom, top);
        Svg g = new Svg(w, h, title);
        g.text(8, 16, "start", title, "class=\"title\"");
        g.yAxis(ys, yt, left, right);
        if (bars.isEmpty()) {
            g.text((left + right) / 2, (top + bottom) / 2, "middle", "no runs", "class=\"label\"");
        }
        double bw = Math.min(56, band * 0.62);
        boolean labels = band >= 44;
        for (int i = 0; i < bars.size(); i++) {
            Bar b = bars.get(i);
            double cx = left + band * (i + 0.5);
            if (Double.isFinite(b.value())) {
                double y0 = ys.map(0), y1 = ys.map(b.value());
                String tip = b.label() + ": " + Svg.fixed(b.value(), 4)
                        + (Double.isFinite(b.err()) && b.err() > 0 ? " \u00b1 " + Svg.fixed(b.err(), 4) : "")
                        + (b.note().isEmpty() ? "" : " (" + b.note() + ")");
                g.rect(cx - bw / 2, y1, bw, y0 - y1, "class=\"bar\" fill=\"" + b.colour() + "\"", tip);
                double topY = y1;
                if (Double.isFinite(b.err()) && b.err() > 0) {
                    double ya = ys.map(Math.max(0, b.value() - b.err())), yb = ys.map(b.value() + b.err());
                    g.line(cx, ya, cx, yb, "class=\"err\"");
                    g.line(cx - 5, ya, cx + 5, ya, "class=\"err\"");
                    g.line(cx - 5, yb, cx + 5, yb, "class=\"err\"");
                    topY = yb;
                }
                if (labels) {
                    g.text(cx, topY - (b.note().isEmpty() ? 5 : 17), "middle", Svg.fixed(b.value(), 4), "class=\"value\"");
                    if (!b.note().isEmpty()) {
                        g.text(cx, topY - 5, "middle", b.note(), "class=\"note\"");
                    }
                }
            } else {
                g.text(cx, bottom - 5, "middle", "n/a", "class=\"note\"");
            }
            if (slant) {
                g.raw("<text class=\"tick\" text-anchor=\"end\" transform=\"translate(" + Svg.n(cx + 3) + "," + Svg.n(bottom + 12)
                        + ") rotate(-35)\">" + Svg.esc(Svg.clip(b.label(), 26)) + "</text>\n");
            } else {
                g.text(cx, bottom + 15, "middle", b.label(), "class=\"tick\"");
            }
        }
        g.line(left, bottom, right, bottom, "class=\"axis\"");
        return g.toString();
    }

    /** One ratio: {@code series}'s value under {@code category} divided by its reference value, +-{@code err}. */
    record Ratio(String category, String series, String colour, double ratio, double err) {}

    /**
     * Horizontal bars of ratios drawn from a line at 1.0 (the reference, named {@code reference}):
     * one row per category, one bar per series within a row, the value at the right.
     */
    static String ratios(String title, String reference, List<String> categories, List<Ratio> items, double w) {
        int perRow = 1;
        for (String c : categories) {
            perRow = Math.max(perRow, (int) items.stream().filter(r -> r.category().equals(c)).count());
        }
        double barH = perRow == 1 ? 16 : Math.max(7, 13 - perRow);
        double rowH = perRow * barH + 10;
        double longest = categories.stream().mapToDouble(c -> Svg.textWidth(Svg.clip(c, 34))).max().orElse(40);
        double left = Math.min(230, longest + 14), right = w - 58, top = 40;
        double bottom = top + rowH * Math.max(1, categories.size());
        double h = bottom + 34;
        double lo = 1, hi = 1;
        for (Ratio r : items) {
            double e = Double.isFinite(r.err()) ? r.err() : 0;
            if (Double.isFinite(r.ratio())) {
                lo = Math.min(lo, r.ratio() - e);
                hi = Math.max(hi, r.ratio() + e);
            }
        }
        Svg.Ticks xt = Svg.ticks(lo, hi, Math.max(2, (int) ((right - left) / 60)));
        Svg.Scale xs = new Svg.Scale(xt.lo(), xt.hi(), left, right);
        Svg g = new Svg(w, h, title);
        g.text(8, 16, "start", title, "class=\"title\"");
        for (double v : xt.values()) {
            g.line(xs.map(v), top, xs.map(v), bottom, "class=\"grid\"");
        }
        g.xAxis(xs, xt, bottom);
        g.text((left + right) / 2, h - 4, "middle", "ratio to " + reference, "class=\"label\"");
        double one = xs.map(1);
        for (int c = 0; c < categories.size(); c++) {
            String cat = categories.get(c);
            double y = top + rowH * c + 5;
            List<Ratio> row = items.stream().filter(r -> r.category().equals(cat)).toList();
            double mid = y + row.size() * barH / 2;
            g.raw("<text class=\"tick\" x=\"" + Svg.n(left - 6) + "\" y=\"" + Svg.n(mid + 4) + "\" text-anchor=\"end\">"
                    + Svg.esc(Svg.clip(cat, 34)) + (cat.length() > 34 ? "<title>" + Svg.esc(cat) + "</title>" : "") + "</text>\n");
            for (int k = 0; k < row.size(); k++) {
                Ratio r = row.get(k);
                double by = y + k * barH;
                if (!Double.isFinite(r.ratio())) {
                    g.text(one + 4, by + barH - 3, "start", "n/a", "class=\"note\"");
                    continue;
                }
                double px = xs.map(r.ratio());
                String tip = r.series() + ", " + cat + ": " + Svg.fixed(r.ratio(), 3) + " of " + reference
                        + (Double.isFinite(r.err()) && r.err() > 0 ? " \u00b1 " + Svg.fixed(r.err(), 3) : "");
                g.rect(one, by + 1, px - one, barH - 2, "class=\"bar\" fill=\"" + r.colour() + "\"", tip);
                if (Double.isFinite(r.err()) && r.err() > 0) {
                    double cy = by + barH / 2;
                    g.line(xs.map(r.ratio() - r.err()), cy, xs.map(r.ratio() + r.err()), cy, "class=\"err\"");
                }
                g.text(w - 6, by + barH - 3, "end", Svg.fixed(r.ratio(), 3), "class=\"value\"");
            }
        }
        g.line(one, top - 6, one, bottom, "class=\"ref\"");
        g.text(one, top - 9, "middle", "1.0 = " + reference, "class=\"note\"");
        return g.toString();
    }
}
