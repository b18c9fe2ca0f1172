package weft.models.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.xml.sax.InputSource;

/** The geometry of weft's SVG writer and of the charts drawn with it. */
class SvgTest {
    @Test
    void linearScaleMapsDomainOntoRange() {
        Svg.Scale x = new Svg.Scale(0, 10, 50, 550);
        assertEquals(50, x.map(0), 1e-12);
        assertEquals(550, x.map(10), 1e-12);
        assertEquals(300, x.map(5), 1e-12);
        assertEquals(600, x.map(11), 1e-12, "outside the domain extrapolates");
        Svg.Scale y = new Svg.Scale(0, 0.5, 300, 30); // y axis: up is smaller
        assertEquals(300, y.map(0), 1e-12);
        assertEquals(30, y.map(0.5), 1e-12);
        assertEquals(165, y.map(0.25), 1e-9);
        assertEquals(165, new Svg.Scale(2, 2, 300, 30).map(2), 1e-12, "a degenerate domain maps to the middle");
    }

    @Test
    void niceTicksCoverTheDataWithRoundSteps() {
        Svg.Ticks t = Svg.ticks(0, 0.4123, 5);
        assertEquals(0.1, t.step(), 1e-15);
        assertArrayEquals(new double[] {0, 0.1, 0.2, 0.3, 0.4, 0.5}, t.values(), 0);
        assertEquals(List.of("0.0", "0.1", "0.2", "0.3", "0.4", "0.5"), labels(t));
        assertEquals(0.3, t.values()[3], 0, "ticks are the doubles nearest their decimal value, not 0.30000000000000004");

        Svg.Ticks big = Svg.ticks(3, 1487, 5);
        assertEquals(List.of("0", "500", "1000", "1500"), labels(big));

        Svg.Ticks neg = Svg.ticks(-0.07, 0.03, 5);
        assertEquals(List.of("-0.10", "-0.05", "0.00", "0.05"), labels(neg));

        Svg.Ticks epochs = Svg.ticks(0, 97, 8);
        assertEquals(List.of("0", "20", "40", "60", "80", "100"), labels(epochs));

        Svg.Ticks ratios = Svg.ticks(0.943, 1.228, 8);
        assertTrue(ratios.lo() <= 0.943 && ratios.hi() >= 1.228, ratios.lo() + ".." + ratios.hi());
        for (String l : labels(ratios)) {
            assertTrue(l.length() <= 5, "short labels: " + labels(ratios));
        }
    }

    @Test
    void ticksOfDegenerateRangesStillGiveAnAxis() {
        Svg.Ticks one = Svg.ticks(0.25, 0.25, 5);
        assertTrue(one.lo() < 0.25 && one.hi() > 0.25 && one.values().length >= 2, one.lo() + ".." + one.hi());
        Svg.Ticks zero = Svg.ticks(0, 0, 5);
        assertEquals(0, zero.lo());
        assertEquals(1, zero.hi(), 1e-12);
        Svg.Ticks nan = Svg.ticks(Double.NaN, Double.POSITIVE_INFINITY, 5);
        assertEquals(0, nan.lo());
        assertEquals(1, nan.hi(), 1e-12);
        Svg.Ticks swapped = Svg.ticks(1, 0, 5);
        assertEquals(0, swapped.lo());
        assertEquals(1, swapped.hi(), 1e-12);
    }

    @Test
    void labelsNeverShowFloatNoiseOrMinusZero() {
        assertEquals("0.30", Svg.fixed(0.1 + 0.2, 2));
        assertEquals("0", Svg.fixed(-0.0001, 0));
        assertEquals("0.00", Svg.fixed(-0.0001, 2));
        assertEquals("-", Svg.fixed(Double.NaN, 3));
        assertEquals("0.0001", HtmlReport.value(1.0000000474974513E-4));
        assertEquals("0.001", HtmlReport.value((double) 1e-3f));
        assertEquals("0.0001", HtmlReport.value((double) 1e-4f), "float 1e-4 (9.9999997e-5) prints as 1e-4 does");
        assertEquals("1e-5", HtmlReport.value(1e-5));
        assertEquals("-2.5e-7", HtmlReport.value(-2.5e-7));
        assertEquals("1.23457e9", HtmlReport.value(1234567890.5));
        assertEquals("2048", HtmlReport.value(2048.0));
        assertEquals("image, text", HtmlReport.value(List.of("image", "text")));
    }

    @Test
    void escapesXmlSpecialCharacters() {
        assertEquals("a&lt;b&gt; &amp; &quot;c&quot; &#39;d&#39;", Svg.esc("a<b> & \"c\" 'd'"));
        assertEquals("ab", Svg.esc("a\u0001b"), "control characters XML forbids are dropped");
        String svg = Charts.lines("R&D <test>", "Recall@20",
                List.of(series("m<&>\"'", new double[] {0, 1, 2}, new double[] {0.1, 0.2, 0.15}, 1)), true, 400, 300);
        assertFalse(svg.contains("m<&>"), svg);
        assertTrue(svg.contains("m&lt;&amp;&gt;&quot;&#39;"), svg);
        parse(svg);
    }

    @Test
    void nanValuesBreakTheLineInsteadOfDroppingToZero() {
        List<List<double[]>> segs = Svg.segments(new double[] {0, 1, 2, 3, 4, 5}, new double[] {0.1, 0.2, Double.NaN, 0.3, 0.4, 0.5});
        assertEquals(2, segs.size());
        assertEquals(2, segs.get(0).size());
        assertEquals(3, segs.get(1).size());
        assertEquals(0.3, segs.get(1).get(0)[1]);

        String svg = Charts.lines("t", "Recall@20",
                List.of(series("a", new double[] {0, 1, 2, 3, 4}, new double[] {0.22, 0.3, Double.NaN, 0.35, 0.36}, 4)), true, 400, 300);
        assertEquals(2, count(svg, "<polyline"), "one polyline per unbroken run:\n" + svg);
        // the missing value is not drawn as 0: no point lies on the bottom axis (0.2 is the lowest tick)
        Matcher m = Pattern.compile("points=\"([^\"]*)\"").matcher(svg);
        double bottom = 300 - 34;
        while (m.find()) {
            for (String p : m.group(1).split(" ")) {
                assertTrue(Double.parseDouble(p.split(",")[1]) < bottom - 0.5, "a point drawn at the bottom: " + p);
            }
        }
        parse(svg);
    }

    @Test
    void singlePointAndEmptySeriesDrawNoBrokenMarkup() {
        String one = Charts.lines("t", "Recall@20", List.of(series("pop", new double[] {0}, new double[] {0.17}, 0)), true, 400, 300);
        assertEquals(0, count(one, "<polyline"), one);
        assertEquals(1, count(one, "class=\"point\""), "a single epoch is a dot:\n" + one);
        assertEquals(1, count(one, "class=\"best\""), one);
        parse(one);

        String empty = Charts.lines("t", "Recall@20", List.of(series("none", new double[0], new double[0], -1)), true, 400, 300);
        assertEquals(0, count(empty, "<polyline"));
        assertTrue(empty.contains("no epochs recorded"), empty);
        parse(empty);

        String allNan = Charts.lines("t", "Recall@20",
                List.of(series("nan", new double[] {0, 1}, new double[] {Double.NaN, Double.NaN}, 1)), true, 400, 300);
        assertEquals(0, count(allNan, "<polyline"));
        assertFalse(allNan.contains("NaN"), allNan);
        parse(allNan);

        String noBars = Charts.bars("t", List.of(), 400, 300);
        assertTrue(noBars.contains("no runs"));
        parse(noBars);
        String nanBar = Charts.bars("t", List.of(new Charts.Bar("a", "#000000", Double.NaN, Double.NaN, "")), 400, 300);
        assertTrue(nanBar.contains("n/a") && !nanBar.contains("NaN"), nanBar);
        parse(nanBar);
    }

    @Test
    void lineChartMarksTheBestEpochAndShadesTheWindowAfterIt() {
        String svg = Charts.lines("t", "Recall@20",
                List.of(series("lightgcn", new double[] {0, 1, 2, 3, 4, 5}, new double[] {0.1, 0.3, 0.4, 0.38, 0.39, 0.37}, 2)),
                true, 500, 300);
        assertEquals(1, count(svg, "class=\"best\""));
        Matcher best = Pattern.compile("<circle cx=\"([0-9.]+)\" cy=\"([0-9.]+)\" r=\"4.5\" class=\"best\"").matcher(svg);
        assertTrue(best.find(), svg);
        Matcher win = Pattern.compile("<rect x=\"([0-9.]+)\" y=\"[0-9.]+\" width=\"([0-9.]+)\" height=\"[0-9.]+\" class=\"window\"").matcher(svg);
        assertTrue(win.find(), svg);
        double bx = Double.parseDouble(best.group(1));
        assertEquals(bx, Double.parseDouble(win.group(1)), 0.11, "the window starts at the best epoch");
        assertEquals(500 - 14, Double.parseDouble(win.group(1)) + Double.parseDouble(win.group(2)), 0.2, "and runs to the last");

        String two = Charts.lines("t", "Recall@20", List.of(
                series("a", new double[] {0, 1, 2, 3}, new double[] {0.1, 0.3, 0.2, 0.2}, 1),
                series("b", new double[] {0, 1, 2}, new double[] {0.1, 0.2, 0.3}, 2)), true, 500, 300);
        assertEquals(2, count(two, "<polyline"));
        assertEquals(2, count(two, "class=\"best\""));
        assertEquals(1, count(two, "class=\"lane\""), "b stopped at its best epoch: no window");
    }

    @Test
    void barsStartAtZeroWithErrorBars() {
        String svg = Charts.bars("Test Recall@20", List.of(
                new Charts.Bar("lightgcn", "#0072B2", 0.39, 0.01, "baseline"),
                new Charts.Bar("freedom", "#009E73", 0.41, Double.NaN, "+5.1 %")), 600, 330);
        assertEquals(2, count(svg, "class=\"bar\""));
        assertEquals(3, count(svg, "class=\"err\""), "one error bar (stem and two caps) for the bar with a spread");
        assertTrue(svg.contains(">0.0<") || svg.contains(">0.00<"), "the axis starts at 0:\n" + svg);
        assertTrue(svg.contains("+5.1 %") && svg.contains("baseline"));
        parse(svg);
    }

    @Test
    void ratioBarsGrowFromTheLineAtOne() {
        String svg = Charts.ratios("Recall@20 / full", "full", List.of("full", "--no-gate", "--no-cross & more"), List.of(
                new Charts.Ratio("full", "hmarec", "#D55E00", 1, Double.NaN),
                new Charts.Ratio("--no-gate", "hmarec", "#D55E00", 0.9, Double.NaN),
                new Charts.Ratio("--no-cross & more", "hmarec", "#D55E00", 1.1, 0.02)), 600);
        Matcher ref = Pattern.compile("<line x1=\"([0-9.]+)\" y1=\"[0-9.]+\" x2=\"([0-9.]+)\" y2=\"[0-9.]+\" class=\"ref\"").matcher(svg);
        assertTrue(ref.find(), svg);
        double one = Double.parseDouble(ref.group(1));
        Matcher bars = Pattern.compile("<rect x=\"([0-9.]+)\" y=\"[0-9.]+\" width=\"([0-9.]+)\" height=\"[0-9.]+\" class=\"bar\"").matcher(svg);
        int n = 0;
        while (bars.find()) {
            double x = Double.parseDouble(bars.group(1)), w = Double.parseDouble(bars.group(2));
            assertTrue(Math.abs(x - one) < 0.11 || Math.abs(x + w - one) < 0.11, "bar " + x + "+" + w + " touches 1.0 at " + one);
            n++;
        }
        assertEquals(3, n);
        assertTrue(svg.contains("--no-cross &amp; more"));
        parse(svg);
    }

    @Test
    void paletteIsFixedForWeftModelsAndDistinctForOthers() {
        Charts.Palette p = new Charts.Palette();
        assertEquals("#0072B2", p.colour("lightgcn"));
        assertEquals(p.colour("lightgcn"), new Charts.Palette().colour("lightgcn"));
        String a = p.colour("mymodel"), b = p.colour("other");
        assertFalse(a.equals(b));
        assertEquals(a, p.colour("mymodel"));
    }

    static Charts.Series series(String name, double[] x, double[] y, double best) {
        return new Charts.Series(name, "#0072B2", "", x, y, null, null, best >= 0 ? new double[] {best} : new double[0], best,
                x.length == 0 ? Double.NaN : x[x.length - 1]);
    }

    private static List<String> labels(Svg.Ticks t) {
        return java.util.Arrays.stream(t.values()).mapToObj(t::label).toList();
    }

    static int count(String s, String needle) {
        int n = 0;
        for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    static Document parse(String xml) {
        try {
            return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
        } catch (Exception e) {
            throw new AssertionError("not well-formed XML: " + e.getMessage() + "\n" + xml, e);
        }
    }
}
