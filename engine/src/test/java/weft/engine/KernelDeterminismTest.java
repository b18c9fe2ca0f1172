package weft.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Every kernel gives bit-identical results however its code runs: interpreted, C1-compiled or
 * C2-compiled (where the Vector API intrinsics replace its Java fallback). Training with a
 * fixed seed is only reproducible if this holds: a kernel that changed its last bit when C2
 * compiled it made two trainings in one JVM diverge (the Vector API's lanewise EXP / LOG /
 * LOG1P / TANH compute per lane in double when interpreted and call SVML-style stubs when
 * compiled).
 *
 * <p>The test computes {@link KernelFingerprints} (a hash of all output bits of every kernel
 * over fixed inputs, special values included) in this JVM, once cold and several times during
 * and after a heavy warm-up, and compares each, kernel by kernel, with the fingerprints printed
 * by child JVMs started with {@code -Xint} (never compiled) and {@code -XX:TieredStopAtLevel=1}
 * (C1 only, no intrinsics). Both providers are checked: Panama (the subject) and the scalar
 * reference (whose {@code Math.exp/log/tanh} must use the same code in every mode, too).
 */
class KernelDeterminismTest {
    /** Warm-up rounds of the whole fingerprint: each kernel loop is called thousands of times. */
    private static final int WARMUP_ROUNDS = 1500;
    /** The warm-up stops early after this long (a slow machine still gets C2 for most kernels). */
    private static final long WARMUP_NANOS = TimeUnit.SECONDS.toNanos(12);

    @Test
    void fingerprintsDoNotDependOnTheJit() throws Exception {
        Assumptions.assumeTrue(KernelProvider.vectorModulePresent(),
                "jdk.incubator.vector is absent: only the scalar kernels exist");
        Kernels panama = KernelProvider.panamaOrNull();
        Assumptions.assumeTrue(panama != null, "PanamaKernels did not load");

        // The children run while this JVM warms up.
        Child interpreted = Child.start("-Xint");
        Child c1 = Child.start("-XX:TieredStopAtLevel=1");

        List<Map<String, Long>> snapshots = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        snapshots.add(both(panama));
        labels.add("cold");
        long start = System.nanoTime();
        int round = 1;
        for (; round <= WARMUP_ROUNDS && System.nanoTime() - start < WARMUP_NANOS; round++) {
            Map<String, Long> fp = both(panama);
            if (round == 50 || round == 300) {
                snapshots.add(fp);
                labels.add("round " + round);
            }
        }
        snapshots.add(both(panama));
        labels.add("after " + round + " warm-up rounds");

        Map<String, Long> xint = interpreted.fingerprints();
        Map<String, Long> xc1 = c1.fingerprints();
        assertTrue(xint.keySet().stream().anyMatch(k -> k.startsWith("panama.")), "the -Xint child printed no Panama fingerprints");
        assertEquals(snapshots.get(0).keySet(), xint.keySet(), "the -Xint child printed other kernels");

        List<String> mismatches = new ArrayList<>();
        for (int s = 0; s < snapshots.size(); s++) {
            compare("this JVM, " + labels.get(s), snapshots.get(s), "-Xint", xint, mismatches);
        }
        compare("-XX:TieredStopAtLevel=1", xc1, "-Xint", xint, mismatches);
        if (!mismatches.isEmpty()) {
            fail(mismatches.size() + " kernel results depend on how the code runs:\n  " + String.join("\n  ", mismatches));
        }
    }

    private static Map<String, Long> both(Kernels panama) {
        Map<String, Long> fp = new LinkedHashMap<>();
        KernelFingerprints.compute(panama).forEach((k, v) -> fp.put("panama." + k, v));
        KernelFingerprints.compute(KernelProvider.scalar()).forEach((k, v) -> fp.put("scalar." + k, v));
        return fp;
    }

    private static void compare(String what, Map<String, Long> actual, String refName, Map<String, Long> ref, List<String> out) {
        for (Map.Entry<String, Long> e : ref.entrySet()) {
            Long a = actual.get(e.getKey());
            if (!e.getValue().equals(a)) {
                out.add(e.getKey() + ": " + what + " differs from " + refName);
            }
        }
    }

    /** A JVM running {@link KernelFingerprints#main} on this test's class path. */
    private static final class Child {
        private final Process process;
        private final Path stdout;
        private final Path stderr;
        private final String flag;

        private Child(Process process, Path stdout, Path stderr, String flag) {
            this.process = process;
            this.stdout = stdout;
            this.stderr = stderr;
            this.flag = flag;
        }

        static Child start(String flag) throws IOException {
            String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
            Path out = Files.createTempFile("weft-fingerprints", ".out");
            Path err = Files.createTempFile("weft-fingerprints", ".err");
            ProcessBuilder pb = new ProcessBuilder(java, flag, "--add-modules", "jdk.incubator.vector",
                    "-cp", System.getProperty("java.class.path"), KernelFingerprints.class.getName());
            pb.redirectOutput(out.toFile()).redirectError(err.toFile());
            return new Child(pb.start(), out, err, flag);
        }

        Map<String, Long> fingerprints() throws Exception {
            try {
                if (!process.waitFor(120, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    fail("the " + flag + " child JVM did not finish in 120 s");
                }
                String err = Files.readString(stderr, StandardCharsets.UTF_8);
                assertEquals(0, process.exitValue(), "the " + flag + " child JVM failed:\n" + err);
                Map<String, Long> fp = new LinkedHashMap<>();
                for (String line : Files.readAllLines(stdout, StandardCharsets.UTF_8)) {
                    int eq = line.indexOf('=');
                    if (eq > 0) {
                        fp.put(line.substring(0, eq), Long.parseUnsignedLong(line.substring(eq + 1), 16));
                    }
                }
                return fp;
            } finally {
                Files.deleteIfExists(stdout);
                Files.deleteIfExists(stderr);
            }
        }
    }
}
