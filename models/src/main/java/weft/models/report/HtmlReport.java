package weft.models.report;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

import weft.models.data.AtomicFiles;
import weft.models.report.Reports.Group;
import weft.models.report.Reports.Kind;
import weft.models.report.Reports.Report;
import weft.models.report.Reports.Run;

/**
 * {@code weft report}: one self-contained HTML page (inline SVG and CSS, no script, nothing
 * fetched) for any number of reports read by {@link Reports}. Per report it draws what fits:
 * validation Recall@20 / NDCG@20 and training loss per epoch (train, compare), test metrics as
 * bars with their difference to the baseline (compare), ratios to the reference run (ablate,
 * robustness), a table of the numbers and the run facts (dataset, sizes, environment,
 * configuration). A model has one colour on the whole page. The markup is XHTML-compatible.
 */
public final class HtmlReport {
    static final String R20 = "Recall@20";
    static final String N20 = "NDCG@20";
    /** Chart widths: two side by side, or one across the page (learning curves, whose epochs need the room). */
    private static final double HALF = 594, FULL = 1206;

    private final Charts.Palette palette = new Charts.Palette();
    private final StringBuilder sb = new StringBuilder();

    private HtmlReport() {}

    /** The page for {@code reports}. */
    public static String render(List<Report> reports) {
        HtmlReport p = new HtmlReport();
        p.page(reports);
        return p.sb.toString();
    }

    /** Writes the page for {@code reports} to {@code file} atomically (see {@link AtomicFiles}). */
    public static void write(Path file, List<Report> reports) {
        byte[] bytes = render(reports).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, out -> out.write(bytes));
    }

    private static final String CSS = String.join("\n",
            "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;color:#222;"
                    + "background:#fff;margin:20px auto;max-width:1240px;padding:0 16px}",
            "h1{font-size:22px;margin:0 0 2px}",
            "h2{font-size:18px;margin:30px 0 4px;padding-top:14px;border-top:2px solid #ddd}",
            "h3{font-size:15px;margin:18px 0 6px}",
            ".sub,.src{color:#666;font-size:13px;font-weight:normal}",
            ".charts{display:flex;flex-wrap:wrap;gap:14px 20px}",
            "svg.chart{border:1px solid #e2e2e2;border-radius:4px;background:#fff;max-width:100%;height:auto}",
            "svg text{font-size:11px;fill:#333}",
            "svg .title{font-size:13px;font-weight:600;fill:#222}",
            "svg .tick,svg .label{fill:#555}",
            "svg .note{font-size:10px;fill:#555}",
            "svg .value{font-size:10.5px;fill:#222}",
            "svg .grid{stroke:#ececec}",
            "svg .axis{stroke:#999}",
            "svg .series{stroke-width:2;stroke-linejoin:round;stroke-linecap:round}",
            "svg .band{opacity:.25}",
            "svg .window{fill:#000;opacity:.06}",
            "svg .lane{opacity:.6}",
            "svg .best{stroke:#fff;stroke-width:1.5}",
            "svg .bestline{stroke:#777;stroke-dasharray:3 3}",
            "svg .err{stroke:#222;stroke-width:1.2}",
            "svg .ref{stroke:#222;stroke-width:1.3;stroke-dasharray:4 3}",
            ".legend{display:flex;flex-wrap:wrap;gap:4px 18px;margin:6px 0 10px;font-size:13px}",
            ".key{white-space:nowrap}",
            ".sw{display:inline-block;width:22px;height:0;border-top:4px solid;vertical-align:middle;margin-right:6px}",
            ".dot{display:inline-block;width:9px;height:9px;border-radius:50%;background:#555;vertical-align:middle;margin-right:6px}",
            ".shade{display:inline-block;width:22px;height:12px;background:#e8e8e8;vertical-align:middle;margin-right:6px}",
            ".tablewrap{overflow-x:auto}",
            "table{border-collapse:collapse;font-size:12.5px;margin:6px 0 4px}",
            "th,td{padding:3px 10px;border-bottom:1px solid #e6e6e6;text-align:right;vertical-align:top}",
            "td{white-space:nowrap}",
            "th{background:#f6f6f6;font-weight:600}",
            "th:first-child,td:first-child{text-align:left}",
            "table.facts td,table.facts th{text-align:left}",
            "td.diff{font-weight:700;background:#fff6d8}",
            ".muted{color:#777}",
            "p.note{color:#555;font-size:12.5px;margin:4px 0}");

    private void page(List<Report> reports) {
        sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n")
                .append("<title>weft report</title>\n<style>\n").append(CSS).append("\n</style>\n</head>\n<body>\n");
        sb.append("<h1>weft report</h1>\n<p class=\"sub\">").append(esc(reports.size() + (reports.size() == 1 ? " report: " : " reports: ")
                + String.join(", ", reports.stream().map(Report::source).toList()) + "; page written "
                + Instant.now().truncatedTo(ChronoUnit.SECONDS))).append("</p>\n");
        for (Report r : reports) {
            section(r);
        }
        sb.append("</body>\n</html>\n");
    }

    private static String esc(String s) {
        return Svg.esc(s);
    }

    private void section(Report r) {
        List<Group> groups = Reports.groups(r.runs());
        String what = switch (r.kind()) {
            case TRAIN -> r.runs().get(0).model() + " trained";
            case COMPARE -> "Comparison of " + groups.size() + (models(r.runs()).size() == groups.size() ? " models" : " settings");
            case ABLATION -> "Ablation of " + String.join(", ", models(r.runs()));
            case ROBUSTNESS -> "Robustness of " + String.join(", ", models(r.runs()));
        };
        sb.append("<section>\n<h2>").append(esc(what + " on " + r.dataset())).append(" <span class=\"src\">(")
                .append(esc(r.source())).append(")</span></h2>\n");
        boolean seeds = groups.stream().anyMatch(g -> g.runs().size() > 1);
        switch (r.kind()) {
            case TRAIN, COMPARE -> {
                legend(groups, true, seeds);
                if (r.kind() == Kind.COMPARE) {
                    compareBars(groups);
                }
                curves(groups);
                if (r.kind() == Kind.TRAIN) {
                    metricTable(r.runs().get(0));
                }
            }
            case ABLATION, ROBUSTNESS -> {
                legend(groupsByModel(groups), false, seeds);
                ratios(r.kind(), groups);
            }
        }
        facts(r, groups);
        sb.append("</section>\n");
    }

    private static List<String> models(List<Run> runs) {
        return new ArrayList<>(new LinkedHashSet<>(runs.stream().map(Run::model).toList()));
    }

    /** One group per model (the first), for a legend of colours only. */
    private static List<Group> groupsByModel(List<Group> groups) {
        Map<String, Group> m = new LinkedHashMap<>();
        for (Group g : groups) {
            m.putIfAbsent(g.model(), new Group(g.model(), g.model(), null, g.runs()));
        }
        return new ArrayList<>(m.values());
    }

    private Map<Group, String> dashes(List<Group> groups) {
        Map<Group, String> out = new LinkedHashMap<>();
        Map<String, Integer> seen = new LinkedHashMap<>();
        for (Group g : groups) {
            int k = seen.merge(g.model(), 1, Integer::sum) - 1;
            out.put(g, Charts.DASHES[k % Charts.DASHES.length]);
        }
        return out;
    }

    private void legend(List<Group> groups, boolean curves, boolean seeds) {
        Map<Group, String> dash = dashes(groups);
        sb.append("<div class=\"legend\">");
        for (Group g : groups) {
            String c = palette.colour(g.model());
            String style = dash.get(g).isEmpty() ? "border-top-color:" + c : "border-top:4px dashed " + c;
            sb.append("<span class=\"key\"><span class=\"sw\" style=\"").append(style).append("\"></span>").append(esc(g.name()))
                    .append(g.runs().size() > 1 ? esc(" (" + g.runs().size() + " seeds)") : "").append("</span>");
        }
        if (curves) {
            sb.append("<span class=\"key muted\"><span class=\"dot\"></span>best-valid epoch</span>");
            sb.append("<span class=\"key muted\"><span class=\"shade\"></span>early-stopping window: epochs after the best one</span>");
        }
        if (seeds) {
            sb.append("<span class=\"key muted\">band / error bar: \u00b1 1 standard deviation over seeds</span>");
        }
        sb.append("</div>\n");
    }

    /** The baseline of a comparison: LightGCN where it ran, else the first setting. */
    static Group baseline(List<Group> groups) {
        return groups.stream().filter(g -> g.model().equalsIgnoreCase("lightgcn")).findFirst().orElse(groups.get(0));
    }

    static String relative(double v, double base) {
        if (!Double.isFinite(v) || !(base > 0)) {
            return "-";
        }
        double pct = (v - base) / base * 100;
        return (pct >= 0 ? "+" : "\u2212") + Svg.fixed(Math.abs(pct), 1) + " %";
    }

    private void compareBars(List<Group> groups) {
        Group base = baseline(groups);
        sb.append("<h3>Test metrics at each model's best-valid epoch</h3>\n<div class=\"charts\">\n");
        for (String metric : List.of(R20, N20)) {
            List<Charts.Bar> bars = new ArrayList<>();
            for (Group g : groups) {
                String note = g == base ? "baseline" : relative(g.mean(metric), base.mean(metric));
                bars.add(new Charts.Bar(g.name(), palette.colour(g.model()), g.mean(metric), g.std(metric), note));
            }
            sb.append(Charts.bars("Test " + metric + " (difference to " + base.name() + ")", bars, HALF, 330));
        }
        sb.append("</div>\n");
        sb.append("<div class=\"tablewrap\"><table>\n<tr><th>model</th><th>runs</th><th>Recall@20</th><th>NDCG@20</th><th>")
                .append(esc("vs " + base.name())).append("<br/>Recall / NDCG</th><th>best epoch</th><th>epochs run</th>")
                .append("<th>train s/epoch</th><th>")
                .append(esc("x " + base.name())).append("</th><th>eval s/epoch</th><th>peak live heap MiB</th></tr>\n");
        double baseSec = Reports.mean(base.runs().stream().mapToDouble(Run::trainSecondsPerEpoch).toArray());
        for (Group g : groups) {
            double sec = Reports.mean(g.runs().stream().mapToDouble(Run::trainSecondsPerEpoch).toArray());
            sb.append("<tr><td>").append(esc(g.name())).append("</td><td>").append(g.runs().size()).append("</td><td>")
                    .append(esc(meanStd(g, R20))).append("</td><td>").append(esc(meanStd(g, N20))).append("</td><td>")
                    .append(esc(g == base ? "baseline" : relative(g.mean(R20), base.mean(R20)) + " / " + relative(g.mean(N20), base.mean(N20))))
                    .append("</td><td>").append(esc(range(g, r -> r.bestEpoch()))).append("</td><td>")
                    .append(esc(range(g, r -> r.lastEpoch() + 1))).append("</td><td>").append(esc(Svg.fixed(sec, 2)))
                    .append("</td><td>").append(esc(baseSec > 0 ? Svg.fixed(sec / baseSec, 1) : "-")).append("</td><td>")
                    .append(esc(Svg.fixed(Reports.mean(g.runs().stream().mapToDouble(Run::evalSecondsPerEpoch).toArray()), 2)))
                    .append("</td><td>").append(esc(Svg.fixed(Reports.mean(g.runs().stream().mapToDouble(x -> x.heap("peak_live_mib")).toArray()), 0)))
                    .append("</td></tr>\n");
        }
        sb.append("</table></div>\n");
    }

    private static String meanStd(Group g, String metric) {
        double s = g.std(metric);
        return Svg.fixed(g.mean(metric), 4) + (Double.isFinite(s) ? " \u00b1 " + Svg.fixed(s, 4) : "");
    }

    private static String range(Group g, java.util.function.ToIntFunction<Run> f) {
        int lo = g.runs().stream().mapToInt(f).min().orElse(-1), hi = g.runs().stream().mapToInt(f).max().orElse(-1);
        return lo == hi ? Integer.toString(lo) : lo + "\u2013" + hi;
    }

    /** Validation Recall@20 and NDCG@20 per epoch, then the training loss. */
    private void curves(List<Group> groups) {
        if (groups.stream().allMatch(g -> g.runs().stream().allMatch(r -> r.epochs().isEmpty()))) {
            return;
        }
        Map<Group, String> dash = dashes(groups);
        sb.append("<h3>Learning curves</h3>\n<div class=\"charts\">\n");
        for (String metric : List.of(R20, N20)) {
            List<Charts.Series> series = new ArrayList<>();
            for (Group g : groups) {
                series.add(series(g, dash.get(g), e -> e.valid().getOrDefault(metric, Double.NaN), true));
            }
            sb.append(Charts.lines("Validation " + metric + " per epoch", metric, series, true, FULL, 360));
        }
        List<Charts.Series> loss = new ArrayList<>();
        for (Group g : groups) {
            boolean trained = g.runs().stream().anyMatch(r -> r.epochs().stream().anyMatch(e -> e.loss() != 0 && Double.isFinite(e.loss())));
            if (trained) {
                loss.add(series(g, dash.get(g), Reports.Epoch::loss, false));
            }
        }
        if (!loss.isEmpty()) {
            sb.append(Charts.lines("Training loss per epoch", "loss", loss, false, FULL, 250));
        }
        sb.append("</div>\n");
    }

    /** A group's curve: the value per epoch (the mean over seeds, with a +-1 std band where there are several). */
    private Charts.Series series(Group g, String dash, java.util.function.ToDoubleFunction<Reports.Epoch> f, boolean window) {
        TreeSet<Integer> epochs = new TreeSet<>();
        for (Run r : g.runs()) {
            r.epochs().forEach(e -> epochs.add(e.epoch()));
        }
        int n = epochs.size();
        double[] x = new double[n], y = new double[n], lo = new double[n], hi = new double[n];
        int i = 0;
        for (int ep : epochs) {
            List<Double> vs = new ArrayList<>();
            for (Run r : g.runs()) {
                for (Reports.Epoch e : r.epochs()) {
                    if (e.epoch() == ep) {
                        vs.add(f.applyAsDouble(e));
                    }
                }
            }
            double[] v = vs.stream().mapToDouble(Double::doubleValue).toArray();
            x[i] = ep;
            y[i] = Reports.mean(v);
            double s = Reports.std(v);
            lo[i] = y[i] - s;
            hi[i] = y[i] + s;
            i++;
        }
        boolean spread = g.runs().size() > 1;
        if (spread && java.util.Arrays.stream(y).filter(Double::isFinite).allMatch(v -> v >= 0)) {
            for (int j = 0; j < n; j++) {
                lo[j] = Math.max(0, lo[j]); // metrics and losses are not negative: the band stays above 0
            }
        }
        double[] best = g.runs().stream().mapToInt(Run::bestEpoch).filter(b -> b >= 0).distinct().asDoubleStream().toArray();
        double from = g.runs().stream().mapToInt(Run::bestEpoch).min().orElse(-1);
        double to = g.runs().stream().mapToInt(Run::lastEpoch).max().orElse(-1);
        return new Charts.Series(g.name(), palette.colour(g.model()), dash, x, y, spread ? lo : null, spread ? hi : null, best,
                window && from >= 0 ? from : Double.NaN, window ? to : Double.NaN);
    }

    /** Valid and test metrics of one run, metrics down, cut-offs across. */
    private void metricTable(Run r) {
        Set<String> metricNames = new LinkedHashSet<>();
        Set<Integer> ks = new TreeSet<>();
        for (String key : r.test().keySet()) {
            int at = key.indexOf('@');
            if (at > 0) {
                metricNames.add(key.substring(0, at));
                try {
                    ks.add(Integer.parseInt(key.substring(at + 1)));
                } catch (NumberFormatException ignored) {
                    // a key weft does not write: not shown
                }
            }
        }
        if (metricNames.isEmpty()) {
            return;
        }
        sb.append("<h3>Metrics at the best-valid epoch (").append(r.bestEpoch()).append(")</h3>\n<div class=\"tablewrap\"><table>\n<tr><th>metric</th>");
        for (int k : ks) {
            sb.append("<th>valid @").append(k).append("</th>");
        }
        for (int k : ks) {
            sb.append("<th>test @").append(k).append("</th>");
        }
        sb.append("</tr>\n");
        for (String m : metricNames) {
            sb.append("<tr><td>").append(esc(m)).append("</td>");
            for (Map<String, Double> side : List.of(r.valid(), r.test())) {
                for (int k : ks) {
                    sb.append("<td>").append(esc(Svg.fixed(side.getOrDefault(m + "@" + k, Double.NaN), 4))).append("</td>");
                }
            }
            sb.append("</tr>\n");
        }
        sb.append("</table></div>\n");
    }

    /** Ablation / robustness: each setting's test metrics as a ratio to its model's reference run. */
    private void ratios(Kind kind, List<Group> groups) {
        String refWord = kind == Kind.ABLATION ? "full" : "clean";
        Map<String, Group> refs = new LinkedHashMap<>();
        List<String> categories = new ArrayList<>();
        Map<Group, String> category = new LinkedHashMap<>();
        for (Group g : groups) {
            String c = condition(g);
            category.put(g, c);
            if (!categories.contains(c)) {
                categories.add(c);
            }
            if (c.equals(refWord)) {
                refs.putIfAbsent(g.model(), g);
            }
        }
        for (Group g : groups) {
            refs.putIfAbsent(g.model(), g); // no run labelled full / clean: the model's first
        }
        sb.append("<h3>Test metrics relative to the ").append(kind == Kind.ABLATION ? "full model" : "clean run")
                .append(" (ratio; 1.0 is no change)</h3>\n<div class=\"charts\">\n");
        for (String metric : List.of(R20, N20)) {
            List<Charts.Ratio> items = new ArrayList<>();
            for (Group g : groups) {
                Group ref = refs.get(g.model());
                double base = ref.mean(metric);
                double ratio = base > 0 ? g.mean(metric) / base : Double.NaN;
                double err = base > 0 ? g.std(metric) / base : Double.NaN;
                items.add(new Charts.Ratio(category.get(g), g.model(), palette.colour(g.model()), ratio, err));
            }
            sb.append(Charts.ratios("Test " + metric + " / " + refWord, refWord, categories, items, HALF));
        }
        sb.append("</div>\n");
        sb.append("<div class=\"tablewrap\"><table>\n<tr><th>").append(kind == Kind.ABLATION ? "variant" : "condition")
                .append("</th><th>model</th><th>runs</th><th>Recall@20</th><th>NDCG@20</th><th>Recall@20 ratio</th>")
                .append("<th>NDCG@20 ratio</th><th>best epoch</th><th>epochs run</th><th>train s/epoch</th></tr>\n");
        for (Group g : groups) {
            Group ref = refs.get(g.model());
            sb.append("<tr><td>").append(esc(category.get(g))).append("</td><td>").append(esc(g.model())).append("</td><td>")
                    .append(g.runs().size()).append("</td><td>").append(esc(meanStd(g, R20))).append("</td><td>")
                    .append(esc(meanStd(g, N20))).append("</td><td>").append(esc(ratio(g, ref, R20))).append("</td><td>")
                    .append(esc(ratio(g, ref, N20))).append("</td><td>").append(esc(range(g, Run::bestEpoch))).append("</td><td>")
                    .append(esc(range(g, r -> r.lastEpoch() + 1))).append("</td><td>")
                    .append(esc(Svg.fixed(Reports.mean(g.runs().stream().mapToDouble(Run::trainSecondsPerEpoch).toArray()), 2)))
                    .append("</td></tr>\n");
        }
        sb.append("</table></div>\n");
    }

    private static String ratio(Group g, Group ref, String metric) {
        double b = ref.mean(metric);
        return b > 0 ? Svg.fixed(g.mean(metric) / b, 3) : "-";
    }

    /** The variant or condition without its "MODEL: " prefix. */
    private static String condition(Group g) {
        String l = g.label() == null ? g.name() : g.label();
        String prefix = g.model() + ": ";
        return l.startsWith(prefix) ? l.substring(prefix.length()) : l;
    }

    /** Dataset, sizes, environment, then the configuration of every setting side by side. */
    private void facts(Report r, List<Group> groups) {
        sb.append("<h3>Run facts</h3>\n<div class=\"tablewrap\"><table class=\"facts\">\n");
        row("dataset", r.dataset());
        Map<String, Object> sizes = r.runs().get(0).sizes();
        if (!sizes.isEmpty()) {
            List<String> parts = new ArrayList<>();
            for (Map.Entry<String, Object> e : sizes.entrySet()) {
                parts.add(value(e.getValue()) + " " + e.getKey());
            }
            row("sizes", String.join(", ", parts) + (r.kind() == Kind.ROBUSTNESS ? " (clean data)" : ""));
        }
        boolean anyEnv = false;
        for (String key : List.of("weft", "java", "kernels", "threads")) {
            Set<String> vs = new LinkedHashSet<>();
            for (Run run : r.runs()) {
                if (run.env().containsKey(key)) {
                    vs.add(value(run.env().get(key)));
                }
            }
            if (!vs.isEmpty()) {
                anyEnv = true;
                row(key.equals("java") ? "JVM" : key.equals("kernels") ? "kernel provider" : key, String.join(", ", vs));
            }
        }
        TreeSet<String> dates = new TreeSet<>();
        for (Run run : r.runs()) {
            if (run.env().get("date") instanceof String d) {
                dates.add(d);
            }
        }
        if (!dates.isEmpty()) {
            row(dates.size() == 1 ? "date" : "dates", dates.size() == 1 ? dates.first() : dates.first() + " to " + dates.last());
        }
        if (!anyEnv && dates.isEmpty()) {
            row("environment", "not recorded in this report (JVM, kernels, threads and date are written by newer weft versions)");
        }
        Set<String> maxHeap = new LinkedHashSet<>();
        for (Run run : r.runs()) {
            double m = run.heap("max_heap_mib");
            if (Double.isFinite(m)) {
                maxHeap.add(Svg.fixed(m, 0) + " MiB");
            }
        }
        if (!maxHeap.isEmpty()) {
            row("max heap", String.join(", ", maxHeap));
        }
        sb.append("</table></div>\n");
        configTable(r, groups);
    }

    private void row(String key, String value) {
        sb.append("<tr><td>").append(esc(key)).append("</td><td>").append(esc(value)).append("</td></tr>\n");
    }

    /** One column per distinct setting, one row per configuration key; cells whose value differs from the first column's in bold. */
    private void configTable(Report r, List<Group> groups) {
        Map<String, Group> columns = new LinkedHashMap<>();
        for (Group g : groups) {
            columns.putIfAbsent(r.kind() == Kind.ROBUSTNESS ? g.model() : g.name(), g);
        }
        Set<String> keys = new LinkedHashSet<>();
        for (Group g : columns.values()) {
            keys.addAll(g.first().config().keySet());
        }
        if (keys.isEmpty()) {
            return;
        }
        sb.append("<h3>Configuration</h3>\n<div class=\"tablewrap\"><table class=\"facts\">\n<tr><th>key</th>");
        for (String c : columns.keySet()) {
            sb.append("<th>").append(esc(c)).append("</th>");
        }
        sb.append("</tr>\n");
        Group first = columns.values().iterator().next();
        for (String k : keys) {
            sb.append("<tr><td>").append(esc(k)).append("</td>");
            for (Group g : columns.values()) {
                String v;
                if (k.equals("seed") && g.runs().size() > 1) {
                    v = String.join(", ", g.runs().stream().map(x -> Objects.toString(x.seed(), "?")).toList());
                } else {
                    v = g.first().config().containsKey(k) ? value(g.first().config().get(k)) : "";
                }
                boolean diff = g != first && g.first().config().containsKey(k) && first.first().config().containsKey(k)
                        && !Objects.equals(g.first().config().get(k), first.first().config().get(k));
                sb.append(diff ? "<td class=\"diff\">" : "<td>").append(esc(v)).append("</td>");
            }
            sb.append("</tr>\n");
        }
        sb.append("</table></div>\n");
    }

    /** A configuration value as text: integers without ".0", small and large numbers compactly, lists comma-separated. */
    static String value(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (!Double.isFinite(d)) {
                return Double.toString(d);
            }
            if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                return Long.toString((long) d);
            }
            // six significant digits: a float setting (1e-3f read back as 0.0010000000474974513) prints as given
            java.math.BigDecimal b = new java.math.BigDecimal(d).round(new java.math.MathContext(6)).stripTrailingZeros();
            double r = Math.abs(b.doubleValue()); // the rounded value decides, so float 1e-4 and double 1e-4 print alike
            if (r >= 1e-4 && r < 1e7) {
                return b.toPlainString();
            }
            String digits = b.unscaledValue().abs().toString();
            int exp = digits.length() - 1 - b.scale();
            return (d < 0 ? "-" : "") + digits.charAt(0) + (digits.length() > 1 ? "." + digits.substring(1) : "") + "e" + exp;
        }
        if (v instanceof List<?> l) {
            return String.join(", ", l.stream().map(HtmlReport::value).toList());
        }
        if (v instanceof Map<?, ?> m) {
            List<String> parts = new ArrayList<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                parts.add(e.getKey() + "=" + value(e.getValue()));
            }
            return String.join(", ", parts);
        }
        return v.toString();
    }
}
