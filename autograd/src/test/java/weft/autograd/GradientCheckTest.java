package weft.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import weft.autograd.nn.Embedding;
import weft.autograd.nn.Gate;
import weft.autograd.nn.LayerNorm;
import weft.autograd.nn.Linear;
import weft.autograd.nn.Losses;
import weft.autograd.nn.MultiHeadAttention;
import weft.engine.Rng;
import weft.engine.Tensor;

/**
 * Finite-difference checks of every op, layer and loss on small random shapes, odd sizes
 * included, and the coverage test: every op name that the module's sources pass to
 * {@code Var.op} must have appeared in a passing check. A new op without a case here fails the
 * build.
 */
class GradientCheckTest {
    record Case(String name, Function<Var[], Var> f, Tensor... inputs) {}

    /** Cases already passed in this JVM, so the coverage test does not repeat the factory's work. */
    private static final Set<String> PASSED = ConcurrentHashMap.newKeySet();

    private static final Rng RNG = new Rng(20240611L);

    static Tensor rand(int r, int c) {
        return RNG.uniform(new Tensor(r, c), -1f, 1f);
    }

    /** Values with |x| in [0.3, 1]: kinks (relu) and poles (1/x, log) stay farther than the FD step. */
    static Tensor away(int r, int c) {
        Tensor t = new Tensor(r, c);
        for (int i = 0; i < t.size(); i++) t.data[i] = (RNG.nextFloat() < 0.5f ? -1f : 1f) * (0.3f + 0.7f * RNG.nextFloat());
        return t;
    }

    static Tensor positive(int r, int c) {
        return RNG.uniform(new Tensor(r, c), 0.5f, 2f);
    }

    static List<Case> cases() {
        List<Case> cs = new ArrayList<>();
        int[][][] bshapes = {{{3, 5}, {3, 5}}, {{3, 5}, {1, 5}}, {{3, 5}, {3, 1}}, {{3, 5}, {1, 1}},
                {{1, 5}, {3, 5}}, {{3, 1}, {3, 5}}, {{1, 1}, {7, 1}}, {{1, 9}, {1, 9}}, {{3, 1}, {1, 4}}};
        for (int[][] s : bshapes) {
            String sh = " [" + s[0][0] + "," + s[0][1] + "] [" + s[1][0] + "," + s[1][1] + "]";
            cs.add(new Case("add" + sh, x -> Ops.add(x[0], x[1]), rand(s[0][0], s[0][1]), rand(s[1][0], s[1][1])));
            cs.add(new Case("sub" + sh, x -> Ops.sub(x[0], x[1]), rand(s[0][0], s[0][1]), rand(s[1][0], s[1][1])));
            cs.add(new Case("mul" + sh, x -> Ops.mul(x[0], x[1]), rand(s[0][0], s[0][1]), rand(s[1][0], s[1][1])));
            cs.add(new Case("div" + sh, x -> Ops.div(x[0], x[1]), rand(s[0][0], s[0][1]), away(s[1][0], s[1][1])));
        }
        cs.add(new Case("same input twice", x -> Ops.mul(x[0], x[0]), rand(3, 5)));
        cs.add(new Case("scale", x -> Ops.scale(x[0], -2.5f), rand(7, 1)));
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                String t = (ta ? "T" : "N") + (tb ? "T" : "N");
                cs.add(new Case("matmul " + t, x -> Ops.matmul(x[0], ta, x[1], tb), ta ? rand(5, 3) : rand(3, 5), tb ? rand(4, 5) : rand(5, 4)));
                // 3 blocks, each op(A_i) [2, 5] x op(B_i) [5, 3]
                cs.add(new Case("bmm " + t, x -> Ops.bmm(x[0], ta, x[1], tb, 3), ta ? rand(15, 2) : rand(6, 5), tb ? rand(9, 5) : rand(15, 3)));
            }
        }
        cs.add(new Case("linear", x -> Ops.linear(x[0], x[1], x[2]), rand(3, 5), rand(4, 5), rand(1, 4)));
        cs.add(new Case("linear+residual", x -> Ops.linear(x[0], x[1], x[2], x[3]), rand(3, 5), rand(4, 5), rand(1, 4), rand(3, 4)));
        cs.add(new Case("linear+residual, residual = input", x -> Ops.linear(x[0], x[1], x[2], x[0]), rand(3, 4), rand(4, 4), rand(1, 4)));
        cs.add(new Case("sum", x -> Ops.sum(x[0]), rand(3, 5)));
        cs.add(new Case("sumRows", x -> Ops.sumRows(x[0]), rand(3, 5)));
        cs.add(new Case("sumCols", x -> Ops.sumCols(x[0]), rand(7, 1)));
        cs.add(new Case("mean", x -> Ops.add(Ops.mean(x[0]), Ops.add(Ops.meanRows(x[0]), Ops.meanCols(x[0]))), rand(3, 5)));
        cs.add(new Case("sumSquares", x -> Ops.sumSquares(x[0]), rand(1, 9)));
        cs.add(new Case("norm", x -> Ops.norm(x[0]), rand(3, 5)));
        cs.add(new Case("rowDot", x -> Ops.rowDot(x[0], x[1]), rand(3, 5), rand(3, 5)));
        cs.add(new Case("exp", x -> Ops.exp(x[0]), rand(3, 5)));
        cs.add(new Case("log", x -> Ops.log(x[0]), positive(3, 5)));
        cs.add(new Case("sigmoid", x -> Ops.sigmoid(x[0]), rand(7, 1)));
        cs.add(new Case("tanh", x -> Ops.tanh(x[0]), rand(1, 9)));
        cs.add(new Case("relu", x -> Ops.relu(x[0]), away(3, 5)));
        cs.add(new Case("leakyRelu", x -> Ops.leakyRelu(x[0], 0.1f), away(3, 5)));
        cs.add(new Case("softplus", x -> Ops.softplus(x[0]), rand(3, 5)));
        cs.add(new Case("logSigmoid", x -> Ops.logSigmoid(x[0]), rand(3, 5)));
        cs.add(new Case("neg", x -> Ops.neg(x[0]), rand(1, 1)));
        cs.add(new Case("meanOfRowGroups", x -> Ops.meanOfRowGroups(x[0], 3), rand(6, 5)));

        cs.add(new Case("rowSoftmax", x -> RowOps.rowSoftmax(x[0]), rand(3, 5)));
        cs.add(new Case("attendRows", x -> RowOps.attendRows(x[0], List.of(x[1], x[2], x[3])).out(), rand(3, 5), rand(3, 5), rand(3, 5), rand(3, 5)));
        cs.add(new Case("attendRows, the query also a value", x -> RowOps.attendRows(x[0], List.of(x[1], x[0])).out(), rand(3, 5), rand(3, 5)));
        cs.add(new Case("rowSoftmax 1x9", x -> RowOps.rowSoftmax(x[0]), rand(1, 9)));
        // 2 sequences x 3 query rows; sequence 1 has every key masked
        Tensor mask = Tensor.of(2, 4, 1, 0, 1, 1, 0, 0, 0, 0);
        cs.add(new Case("maskedRowSoftmax", x -> RowOps.maskedRowSoftmax(x[0], mask, 3), rand(6, 4)));
        cs.add(new Case("rowLogSoftmax", x -> RowOps.rowLogSoftmax(x[0]), rand(3, 5)));
        cs.add(new Case("rowL2Normalize", x -> RowOps.rowL2Normalize(x[0], 1e-12f), away(3, 5)));
        cs.add(new Case("rowL2Normalize clamped", x -> RowOps.rowL2Normalize(x[0], 10f), rand(7, 1)));
        cs.add(new Case("layerNorm", x -> RowOps.layerNorm(x[0], x[1], x[2], 1e-5f), rand(3, 5), rand(1, 5), rand(1, 5)));
        cs.add(new Case("pick", x -> RowOps.pick(x[0], new int[] {4, 0, 2}), rand(3, 5)));
        Tensor dropMask = Tensor.of(3, 3, 2, 0, 2, 0, 2, 2, 2, 2, 0);
        cs.add(new Case("dropout", x -> RowOps.dropout(x[0], dropMask), rand(3, 3)));

        cs.add(new Case("reshape", x -> Ops.mul(ShapeOps.reshape(x[0], 5, 3), x[1]), rand(3, 5), rand(5, 3)));
        cs.add(new Case("concatCols", x -> ShapeOps.concatCols(x[0], x[1], x[0]), rand(3, 2), rand(3, 5)));
        cs.add(new Case("splitCols", x -> {
            Var[] p = ShapeOps.splitCols(x[0], 2, 3);
            return ShapeOps.concatCols(p[1], Ops.mul(p[0], p[0]));
        }, rand(3, 5)));
        cs.add(new Case("concatRows", x -> ShapeOps.concatRows(x[1], x[0]), rand(3, 5), rand(1, 5)));
        cs.add(new Case("sliceRows", x -> ShapeOps.sliceRows(x[0], 2, 4), rand(7, 3)));
        // B = 2 sequences, T = 3 tokens, H = 2 heads of dh = 3
        cs.add(new Case("splitHeads", x -> ShapeOps.splitHeads(x[0], 3, 2), rand(6, 6)));
        cs.add(new Case("mergeHeads", x -> ShapeOps.mergeHeads(x[0], 3, 2), rand(12, 3)));
        cs.add(new Case("gatherRows", x -> ShapeOps.gatherRows(x[0], new int[] {0, 6, 2, 2, 5}), rand(7, 3)));

        cs.add(new Case("Linear", x -> new Linear(x[1], x[2]).forward(x[0]), rand(3, 5), rand(4, 5), rand(1, 4)));
        cs.add(new Case("Linear no bias", x -> new Linear(x[1], null).forward(x[0]), rand(7, 1), rand(3, 1)));
        cs.add(new Case("LayerNorm", x -> new LayerNorm(x[1], x[2], 1e-5f).forward(x[0]), rand(3, 5), rand(1, 5), rand(1, 5)));
        cs.add(new Case("Embedding", x -> new Embedding(x[0]).lookup(new int[] {1, 1, 4}), rand(5, 3)));
        cs.add(new Case("Gate.gate", x -> new Gate(new Linear(x[2], x[3]), 3).gate(x[0], x[1]), rand(5, 3), rand(5, 2), rand(3, 5), rand(1, 3)));
        cs.add(new Case("Gate.mix", x -> new Gate(new Linear(x[2], x[3]), 3).mix(x[0], x[1]), rand(5, 3), rand(5, 3), rand(3, 6), rand(1, 3)));
        // d = 4, 2 heads; self-attention over 2 sequences of 3 tokens, with and without a key mask
        Tensor keyMask = Tensor.of(2, 3, 1, 1, 0, 0, 0, 0);
        for (Tensor m : new Tensor[] {null, keyMask}) {
            cs.add(new Case("MultiHeadAttention self" + (m == null ? "" : " masked"), x -> mha(x).forward(x[0], 3, m),
                    mhaInputs(rand(6, 4))));
        }
        cs.add(new Case("MultiHeadAttention cross", x -> mha(x).forward(x[0], 1, x[9], x[9], 3, null),
                append(mhaInputs(rand(2, 4)), rand(6, 4))));

        cs.add(new Case("bpr", x -> Losses.bpr(x[0], x[1]), rand(5, 1), rand(5, 1)));
        cs.add(new Case("crossEntropy", x -> Losses.crossEntropy(x[0], new int[] {1, 4, 0}), rand(3, 5)));
        cs.add(new Case("infoNce", x -> Losses.infoNce(x[0], x[1], 0.5f), rand(3, 5), rand(3, 5)));
        cs.add(new Case("infoNceBothWays", x -> Losses.infoNceBothWays(x[0], x[1], 0.5f), rand(3, 5), rand(3, 5)));
        cs.add(new Case("l2", x -> Losses.l2(0.1f, 4, x[0], x[1]), rand(3, 5), rand(7, 1)));
        cs.add(new Case("embLoss", x -> Losses.embLoss(0.1f, 4, x[0], x[1], x[2]), rand(3, 5), rand(3, 5), rand(1, 9)));
        return cs;
    }

    private static MultiHeadAttention mha(Var[] x) {
        return new MultiHeadAttention(new Linear(x[1], x[2]), new Linear(x[3], x[4]), new Linear(x[5], x[6]), new Linear(x[7], x[8]), 2);
    }

    private static Tensor[] mhaInputs(Tensor input) {
        Tensor[] t = new Tensor[9];
        t[0] = input;
        for (int i = 0; i < 4; i++) {
            t[1 + 2 * i] = rand(4, 4);
            t[2 + 2 * i] = rand(1, 4);
        }
        return t;
    }

    private static Tensor[] append(Tensor[] a, Tensor b) {
        Tensor[] out = java.util.Arrays.copyOf(a, a.length + 1);
        out[a.length] = b;
        return out;
    }

    private static void runOnce(Case c) {
        if (PASSED.contains(c.name())) return;
        GradCheck.check(c.name(), c.f(), c.inputs());
        PASSED.add(c.name());
    }

    @TestFactory
    Stream<DynamicTest> gradients() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> runOnce(c)));
    }

    private static final Pattern OP_CALL = Pattern.compile("Var\\.op\\(\\s*(\"([^\"]*)\")?");

    /** Every op name the module's main sources record; fails on a {@code Var.op} call without a literal name. */
    static Set<String> opsInSources() throws IOException {
        Path root = Paths.get("src/main/java/weft/autograd");
        assertTrue(Files.isDirectory(root), "run from the autograd module directory: " + root.toAbsolutePath());
        Set<String> names = new TreeSet<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(p -> p.toString().endsWith(".java")).toList();
        }
        for (Path p : files) {
            if (p.getFileName().toString().equals("Var.java")) continue;   // defines op(), calls none
            Matcher m = OP_CALL.matcher(Files.readString(p));
            while (m.find()) {
                assertTrue(m.group(2) != null, p + ": Var.op called without a literal op name; the coverage test needs literal names");
                names.add(m.group(2));
            }
        }
        return names;
    }

    @Test
    void everyOpHasAGradientCheck() throws IOException {
        for (Case c : cases()) runOnce(c);
        Set<String> declared = opsInSources();
        assertTrue(declared.size() >= 30, "source scan found too few ops, is the pattern broken? " + declared);
        Set<String> missing = new TreeSet<>(declared);
        missing.removeAll(GradCheck.checkedOps());
        assertEquals(Set.of(), missing, "ops without a gradient check");
    }
}
