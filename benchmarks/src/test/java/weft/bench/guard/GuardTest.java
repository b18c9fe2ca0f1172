package weft.bench.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guard's comparison on hand-written JMH results (the benchmarks themselves never run in a build). */
class GuardTest {
    @TempDir
    Path tmp;

    private String out, err;

    /** A JMH JSON result list: the reference (us/op), a step (ms/op) and a kernel (us/op) with a parameter. */
    private Path results(String name, double refUs, double stepMs, double spmmUs) throws IOException {
        String json = String.format(Locale.ROOT, """
                [
                  {"benchmark": "weft.bench.guard.ReferenceBenchmark.gemm256", "mode": "avgt", "jvmArgs": [],
                   "primaryMetric": {"score": %s, "scoreError": "NaN", "scoreUnit": "us/op"}},
                  {"benchmark": "weft.bench.guard.StepBenchmark.step", "mode": "avgt", "params": {"model": "hmarec", "shape": "lastfm"},
                   "primaryMetric": {"score": %s, "scoreError": 1.5, "scoreUnit": "ms/op"}},
                  {"benchmark": "weft.bench.guard.ShapeBenchmark.spmmForwardBackward", "mode": "avgt", "params": {"shape": "lastfm"},
                   "primaryMetric": {"score": %s, "scoreError": 0.1, "scoreUnit": "us/op"}}
                ]""", refUs, stepMs, spmmUs);
        Path p = tmp.resolve(name + ".json");
        Files.writeString(p, json);
        return p;
    }

    private int guard(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int rc = Guard.run(args, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        out = o.toString(StandardCharsets.UTF_8);
        err = e.toString(StandardCharsets.UTF_8);
        return rc;
    }

    private Path recordBaseline() throws IOException {
        Path base = tmp.resolve("baseline.tsv");
        assertEquals(0, guard("--update", "--baseline", base.toString(), results("b", 200, 100, 500).toString()));
        return base;
    }

    @Test
    void updateWritesRatiosToTheReference() throws IOException {
        Path base = recordBaseline();
        var ratios = Guard.readBaseline(base);
        assertEquals(500.0, ratios.get("StepBenchmark.step model=hmarec shape=lastfm"), 1e-9);   // 100 ms / 200 us
        assertEquals(2.5, ratios.get("ShapeBenchmark.spmmForwardBackward shape=lastfm"), 1e-9);
        assertEquals(2, ratios.size());
    }

    @Test
    void aSlowerBenchmarkFailsAndIsNamed() throws IOException {
        Path base = recordBaseline();
        int rc = guard("--baseline", base.toString(), results("r", 200, 130, 500).toString());
        assertEquals(1, rc, out);
        assertTrue(out.contains("FAIL: 1 of 2"), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("StepBenchmark.step model=hmarec shape=lastfm") && l.endsWith("SLOWER")), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("ShapeBenchmark.spmmForwardBackward shape=lastfm") && l.endsWith("ok")), out);
    }

    @Test
    void withinToleranceAndMachineSpeedPass() throws IOException {
        Path base = recordBaseline();
        assertEquals(0, guard("--baseline", base.toString(), results("r", 200, 120, 500).toString()), out);   // +20 %
        // a machine twice as slow: every time doubles, the reference too
        assertEquals(0, guard("--baseline", base.toString(), results("s", 400, 200, 1000).toString()), out);
        assertTrue(out.contains("OK: all 2 benchmarks"), out);
        // the tolerance is a flag
        assertEquals(1, guard("--tolerance", "0.1", "--baseline", base.toString(), results("t", 200, 120, 500).toString()), out);
    }

    @Test
    void theReferenceIsTheGeometricMeanOfItsRuns() throws IOException {
        Path base = recordBaseline();
        // reference 100 us before and 400 us after: 200 us, so the same ratios as the baseline
        Path before = tmp.resolve("before.json");
        Files.writeString(before, """
                [{"benchmark": "weft.bench.guard.ReferenceBenchmark.gemm256", "mode": "avgt",
                  "primaryMetric": {"score": 100, "scoreUnit": "us/op"}}]""");
        Path guarded = results("g", 400, 100, 500);
        assertEquals(0, guard("--baseline", base.toString(), before.toString(), guarded.toString()), out);
        assertTrue(out.contains("spread 300.0 %"), out);
    }

    @Test
    void aBenchmarkMissingFromTheRunFails() throws IOException {
        Path base = recordBaseline();
        Path p = tmp.resolve("partial.json");
        Files.writeString(p, """
                [{"benchmark": "weft.bench.guard.ReferenceBenchmark.gemm256", "mode": "avgt",
                  "primaryMetric": {"score": 200, "scoreUnit": "us/op"}},
                 {"benchmark": "weft.bench.guard.ShapeBenchmark.spmmForwardBackward", "mode": "avgt", "params": {"shape": "lastfm"},
                  "primaryMetric": {"score": 500, "scoreUnit": "us/op"}}]""");
        assertEquals(1, guard("--baseline", base.toString(), p.toString()), out);
        assertTrue(out.contains("not measured in this run, but in the baseline: StepBenchmark.step model=hmarec shape=lastfm"), out);
        // a subset run on purpose (WEFT_GUARD_ONLY): listed, not a failure, and still failing when slower
        assertEquals(0, guard("--subset", "--baseline", base.toString(), p.toString()), out);
        assertTrue(out.contains("not measured in this run, but in the baseline: StepBenchmark.step model=hmarec shape=lastfm"), out);
        assertTrue(out.contains("OK: all 1 benchmarks of this subset"), out);
        Files.writeString(p, Files.readString(p).replace("\"score\": 500", "\"score\": 700"));
        assertEquals(1, guard("--subset", "--baseline", base.toString(), p.toString()), out);
        // --update --subset replaces only the measured line and keeps the others
        assertEquals(0, guard("--update", "--subset", "--baseline", base.toString(), p.toString()), out);
        var ratios = Guard.readBaseline(base);
        assertEquals(3.5, ratios.get("ShapeBenchmark.spmmForwardBackward shape=lastfm"), 1e-9);
        assertEquals(500.0, ratios.get("StepBenchmark.step model=hmarec shape=lastfm"), 1e-9);
    }

    @Test
    void badInputIsOneLineNamingTheFile() throws IOException {
        Path base = tmp.resolve("bad.tsv");
        Files.writeString(base, "# header\nStepBenchmark.step model=x\tfast\n");
        assertEquals(2, guard("--baseline", base.toString(), results("r", 200, 100, 500).toString()));
        assertEquals("guard: " + base + ", line 2: expected 'benchmark<TAB>ratio' with a positive ratio, got 'StepBenchmark.step model=x\tfast'",
                err.strip());
        assertEquals(2, guard("--baseline", tmp.resolve("none.tsv").toString(), results("r", 200, 100, 500).toString()));
        assertTrue(err.contains("no baseline yet; record one with benchmarks/guard --update"), err);
        Path notJson = tmp.resolve("x.json");
        Files.writeString(notJson, "Benchmark  Mode  Score");
        assertEquals(2, guard("--baseline", base.toString(), notJson.toString()));
        assertTrue(err.startsWith("guard: " + notJson + ": not JSON"), err);
        assertFalse(err.contains("Exception"), err);
        Path noRef = tmp.resolve("noref.json");
        Files.writeString(noRef, "[]");
        assertEquals(2, guard("--update", "--baseline", base.toString(), noRef.toString()));
        assertTrue(err.contains("no ReferenceBenchmark result"), err);
    }
}
