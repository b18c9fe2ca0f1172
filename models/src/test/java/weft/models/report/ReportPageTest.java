package weft.models.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

import weft.models.Fixtures;
import weft.models.cli.Main;

/**
 * {@code weft report} end to end on the bundled test-data: a real compare report becomes a page
 * whose structure is checked, and which Chromium (where installed) renders to a non-blank image.
 */
class ReportPageTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    @TempDir
    Path tmp;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    static Path testData() {
        return Fixtures.testDataDir();
    }

    @Test
    void comparePageHasOneChartPerViewAndASeriesPerModel() throws Exception {
        Path json = tmp.resolve("compare.json");
        Path direct = tmp.resolve("direct/compare.html");
        assertEquals(0, run("compare", "--models", "lightgcn,bprmf", "--data", testData().toString(), "--epochs", "3", "--quiet",
                "--report", json.toString(), "--report-html", direct.toString()), err.toString(StandardCharsets.UTF_8));
        String report = Files.readString(json);
        for (String key : new String[] {"\"env\"", "\"kernels\"", "\"threads\"", "\"date\"", "\"java\"", "\"dataset_sizes\"",
                "\"users\": 600", "\"best_epoch\"", "\"epochs\"", "\"config\"", "\"heap\""}) {
            assertTrue(report.contains(key), "report lacks " + key);
        }
        Path page = tmp.resolve("page/report.html");
        assertEquals(0, run("report", json.toString(), "--out", page.toString()), err.toString(StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("report page written to " + page));
        String html = Files.readString(page);
        checkComparePage(html);
        checkComparePage(Files.readString(direct)); // --report-html draws the same page at the end of the run
        try (var files = Files.list(direct.getParent())) {
            assertEquals(1, files.count(), "no temporary file left beside the page");
        }
        screenshotIsNotBlank(page);
    }

    private static void checkComparePage(String html) {
        assertFalse(html.toLowerCase().contains("http"), "no URL of any kind: the page is self-contained");
        assertFalse(html.contains("<script"), "no script");
        assertFalse(html.contains("NaN") || html.contains("Infinity"), "no NaN drawn");
        Document doc = SvgTest.parse(html);
        assertEquals(5, doc.getElementsByTagName("svg").getLength(), "bars Recall@20, bars NDCG@20, two learning curves, loss");
        List<String> svgs = svgs(html);
        assertEquals(5, svgs.size());
        int curves = 0;
        for (String svg : svgs) {
            if (svg.contains("per epoch")) {
                curves++;
                assertEquals(2, SvgTest.count(svg, "<polyline"), "one line per model:\n" + svg);
                assertTrue(SvgTest.count(svg, "class=\"best\"") >= 2, "best epoch marked per model");
                assertTrue(svg.contains("stroke=\"#0072B2\"") && svg.contains("stroke=\"#E69F00\""), "the page's colours per model");
            } else {
                assertEquals(2, SvgTest.count(svg, "class=\"bar\""), "a bar per model:\n" + svg);
                assertTrue(svg.contains("baseline"), "lightgcn is the baseline");
            }
        }
        assertEquals(3, curves);
        assertTrue(html.contains("kernel provider") && html.contains("threads") && html.contains("600 users"), "run facts");
    }

    @Test
    void trainAblationAndRobustnessReportsRenderTogether() throws Exception {
        Path train = tmp.resolve("train.json");
        List<Object> ablation = new ArrayList<>();
        ablation.add(ReportsTest.labelled("variant", "full", ReportsTest.run("hmarec", 1, 0.40, 0.28)));
        ablation.add(ReportsTest.labelled("variant", "--no-gate", ReportsTest.run("hmarec", 1, 0.38, 0.27)));
        ablation.add(ReportsTest.labelled("variant", "--no-cross <&>", ReportsTest.run("hmarec", 1, Double.NaN, 0.29)));
        Path abl = tmp.resolve("ablate.json");
        weft.models.util.Json.writeFile(abl, java.util.Map.of("dataset", "toy", "runs", ablation));
        List<Object> robust = new ArrayList<>();
        for (String m : List.of("lightgcn", "freedom")) {
            robust.add(ReportsTest.labelled("condition", m + ": clean", ReportsTest.run(m, 1, 0.40, 0.28)));
            robust.add(ReportsTest.labelled("condition", m + ": drop interactions 0.4", ReportsTest.run(m, 1, 0.30, 0.21)));
        }
        Path rob = tmp.resolve("robust.json");
        weft.models.util.Json.writeFile(rob, java.util.Map.of("dataset", "toy", "runs", robust));
        Path direct = tmp.resolve("train.html");
        assertEquals(0, run("train", "--model", "popularity", "--data", testData().toString(), "--quiet", "--report", train.toString(),
                "--report-html", direct.toString()), err.toString(StandardCharsets.UTF_8));
        assertTrue(Files.readString(direct).contains("<svg"));
        Path page = tmp.resolve("all.html");
        assertEquals(0, run("report", train.toString(), abl.toString(), rob.toString(), "--out=" + page), err.toString(StandardCharsets.UTF_8));
        String html = Files.readString(page);
        SvgTest.parse(html);
        assertFalse(html.toLowerCase().contains("http"));
        assertTrue(html.contains("--no-cross &lt;&amp;&gt;"), "labels escaped");
        assertEquals(2 + 2 + 2, SvgTest.count(html, "<svg"), "popularity: two curves (no loss); ablation and robustness: two ratio charts each");
        assertEquals(2, SvgTest.count(html, "class=\"point\""), "popularity's single epoch is a dot, not a line");
        assertEquals(4, SvgTest.count(html, "class=\"ref\""), "every ratio chart has its line at 1.0");
    }

    @Test
    void seedSpreadIsDrawnAsBandsAndErrorBars() {
        List<Object> runs = new ArrayList<>();
        for (int seed = 1; seed <= 3; seed++) {
            runs.add(ReportsTest.run("lightgcn", seed, 0.38 + 0.01 * seed, 0.27 + 0.005 * seed));
            runs.add(ReportsTest.run("my<model>", seed, 0.40 + 0.02 * seed, 0.28 + 0.01 * seed));
        }
        Reports.Report r = Reports.of("seeds.json", weft.models.util.Json.parse(weft.models.util.Json.write(
                java.util.Map.of("dataset", "toy", "runs", runs))));
        String html = HtmlReport.render(List.of(r));
        SvgTest.parse(html);
        assertEquals(5, SvgTest.count(html, "<svg"));
        assertEquals(2 * 3, SvgTest.count(html, "class=\"band\""), "a band per model in each of the three curve charts");
        assertEquals(2 * 2 * 3, SvgTest.count(html, "class=\"err\""), "an error bar (stem, two caps) per model and metric");
        assertEquals(2 * 3, SvgTest.count(html, "<polyline"), "one mean line per model, not one per seed");
        assertTrue(html.contains("0.4000 \u00b1 0.0100"), "mean \u00b1 std in the table");
        assertTrue(html.contains("my&lt;model&gt; (3 seeds)"), "escaped name with its seed count in the legend");
        assertFalse(html.contains("my<model>"));
    }

    @Test
    void reportCommandErrors() throws Exception {
        assertEquals(2, run("report", "--out", tmp.resolve("x.html").toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("one or more report files"));
        err.reset();
        Path json = tmp.resolve("r.json");
        Files.writeString(json, "{\"runs\": []}");
        assertEquals(2, run("report", json.toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--out"));
        err.reset();
        assertEquals(1, run("report", json.toString(), "--out", tmp.resolve("x.html").toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("r.json: the report has no runs"), err.toString(StandardCharsets.UTF_8));
        assertFalse(Files.exists(tmp.resolve("x.html")));
    }

    private static List<String> svgs(String html) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("<svg[\\s\\S]*?</svg>").matcher(html);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    /** Renders the page headless and checks the screenshot has drawing on it, in the models' colours. */
    private void screenshotIsNotBlank(Path page) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM), "chromium not installed: " + CHROMIUM + " (apt-get install chromium) - screenshot check skipped");
        Path png = tmp.resolve("shot.png");
        Process p = new ProcessBuilder(CHROMIUM.toString(), "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
                "--user-data-dir=" + tmp.resolve("chromium-profile"), "--screenshot=" + png, "--window-size=1280,2000",
                page.toUri().toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("chromium.log").toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish in 120 s");
        }
        assertTrue(Files.exists(png), "no screenshot; chromium said:\n" + Files.readString(tmp.resolve("chromium.log")));
        BufferedImage img = ImageIO.read(new File(png.toString()));
        long ink = 0, blue = 0, orange = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y) & 0xFFFFFF;
                int r = rgb >> 16, g = (rgb >> 8) & 0xFF, b = rgb & 0xFF;
                if (r < 240 || g < 240 || b < 240) {
                    ink++;
                }
                if (Math.abs(r - 0x00) < 24 && Math.abs(g - 0x72) < 24 && Math.abs(b - 0xB2) < 24) {
                    blue++;
                }
                if (Math.abs(r - 0xE6) < 24 && Math.abs(g - 0x9F) < 24 && Math.abs(b - 0x00) < 24) {
                    orange++;
                }
            }
        }
        double total = (double) img.getWidth() * img.getHeight();
        assertTrue(ink / total > 0.02, "the screenshot is (nearly) blank: " + ink + " non-white pixels");
        assertTrue(blue > 2000 && orange > 2000, "lightgcn's and bprmf's colours drawn: " + blue + " / " + orange);
    }
}
