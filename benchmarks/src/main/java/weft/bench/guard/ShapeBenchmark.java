package weft.bench.guard;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import weft.autograd.NoGrad;
import weft.autograd.Ops;
import weft.autograd.RowOps;
import weft.autograd.ShapeOps;
import weft.autograd.Var;
import weft.autograd.nn.MultiHeadAttention;
import weft.engine.Arena;
import weft.engine.Rng;
import weft.engine.Tensor;
import weft.graph.CsrMatrix;
import weft.graph.Hypergraph;
import weft.graph.KnnGraph;
import weft.graph.SpMM;
import weft.models.blocks.DotScorer;
import weft.models.blocks.Fusion;
import weft.models.blocks.Graphs;
import weft.models.data.Dataset;
import weft.models.eval.EvalResult;
import weft.models.eval.Evaluator;

/**
 * The guarded kernels at the seed models' shapes ({@link Shapes}: Last.fm-2K and the 6,710-item
 * short-video catalogue; d = 64):
 *
 * <ul>
 *   <li>{@code attentionForward}, {@code attentionForwardBackward}: HMA-Rec's level-1 self-attention,
 *       {@link MultiHeadAttention} with 4 heads over every item's T = 4 tokens at once ([I*4, 64]
 *       rows); the forward alone without a tape (as when scoring), then forward and backward with
 *       a fixed upstream gradient (as in training);</li>
 *   <li>{@code spmmForwardBackward}: one propagation layer {@code A_hat E} through the autograd op
 *       ({@link SpMM#apply}) over the (U+I) x (U+I) normalised interaction graph, and its backward;</li>
 *   <li>{@code hypergraphForwardBackward}: DPRec's soft hypergraph branch for one modality (128-d
 *       features, 16 hyperedges): the assignment softmax, the users' mean assignment, the hyperedge
 *       normalisation ({@link Fusion#hyperedgeNormalize}), the dense hypergraph convolutions of users
 *       and items ({@link Hypergraph#propagate}) and the hyperedge embeddings, with the backward;</li>
 *   <li>{@code knnBuild}: FREEDOM's frozen kNN graphs (k = 10) of both modalities;</li>
 *   <li>{@code fullRanking}: full-ranking evaluation of every validation user over all items
 *       (Recall/NDCG/... at 5, 10, 20, 50, training items masked) from d = 64 tables.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx2g"})
public class ShapeBenchmark {
    static final int HYPEREDGES = 16;
    static final float HYPER_TEMP = 0.2f;

    @Param({"lastfm", "shortvideo"})
    public String shape;

    private Dataset data;
    private int users, items;
    private CsrMatrix adj, userMean;
    // attention
    private MultiHeadAttention mha;
    private List<Var> mhaParams;
    private Var tokens;
    private Tensor tokenGrad;
    // spmm
    private Var nodes;
    private Tensor nodeGrad;
    // hypergraph
    private Var features, hyperedges, emb;
    private Tensor hyperGrad, groupGrad;
    // evaluation
    private Evaluator evaluator;
    private DotScorer scorer;
    // The forward+backward benchmarks run in a step of this arena, as the Trainer runs the ops
    // (a step's arrays recycled in the next; without it every call's fresh arrays, 4 MB each
    // on the short-video graph, are zeroed by the JVM and weighed as much as the products).
    private final Arena arena = new Arena();

    @Setup(Level.Trial)
    public void setup() {
        data = Shapes.dataset(shape);
        users = data.numUsers();
        items = data.numItems();
        CsrMatrix r = Graphs.interactions(data);
        adj = Graphs.normalizedAdjacency(r);
        userMean = Graphs.userMean(r);
        Rng rng = new Rng(3);
        int d = Shapes.DIM;

        mha = new MultiHeadAttention(d, Shapes.HEADS, rng);
        mhaParams = mha.parameters();
        tokens = Var.param(rng.normal(new Tensor(items * Shapes.TOKENS, d), 0f, 1f));
        tokenGrad = rng.normal(new Tensor(items * Shapes.TOKENS, d), 0f, 1f);

        nodes = Var.param(rng.normal(new Tensor(users + items, d), 0f, 0.1f));
        nodeGrad = rng.normal(new Tensor(users + items, d), 0f, 1f);

        Tensor x = data.modality("image");
        features = Var.constant(x);
        hyperedges = Var.param(rng.xavierUniform(new Tensor(HYPEREDGES, x.cols)));
        emb = Var.param(rng.normal(new Tensor(users + items, d), 0f, 0.1f));
        hyperGrad = rng.normal(new Tensor(users + items, d), 0f, 1f);
        groupGrad = rng.normal(new Tensor(HYPEREDGES, d), 0f, 1f);

        evaluator = new Evaluator(data);
        scorer = DotScorer.of(rng.normal(new Tensor(users, d), 0f, 0.1f), rng.normal(new Tensor(items, d), 0f, 0.1f));
    }

    @Benchmark
    public Tensor attentionForward() {
        try (NoGrad g = NoGrad.scope()) {
            return mha.forward(tokens, Shapes.TOKENS, null).value;
        }
    }

    @Benchmark
    public Tensor attentionForwardBackward() {
        try (Arena.Step s = arena.open()) {
            for (Var p : mhaParams) p.zeroGrad();
            tokens.zeroGrad();
            Var out = mha.forward(tokens, Shapes.TOKENS, null);
            out.backward(tokenGrad);
            return tokens.grad();
        }
    }

    @Benchmark
    public Tensor spmmForwardBackward() {
        try (Arena.Step s = arena.open()) {
            nodes.zeroGrad();
            Var out = SpMM.apply(adj, nodes);
            out.backward(nodeGrad);
            return nodes.grad();
        }
    }

    @Benchmark
    public Tensor hypergraphForwardBackward() {
        try (Arena.Step s = arena.open()) {
            hyperedges.zeroGrad();
            emb.zeroGrad();
            Var u = ShapeOps.sliceRows(emb, 0, users);
            Var i = ShapeOps.sliceRows(emb, users, items);
            Var hi = RowOps.rowSoftmax(Ops.scale(Ops.matmul(features, false, hyperedges, true), 1f / HYPER_TEMP));
            Var hu = SpMM.apply(userMean, hi);
            Var hin = Fusion.hyperedgeNormalize(hi);
            Var hun = Fusion.hyperedgeNormalize(hu);
            Var y = ShapeOps.concatRows(Hypergraph.propagate(hun, u), Hypergraph.propagate(hin, i));
            Var groups = Ops.matmul(hin, true, i, false);
            // one scalar from both outputs: <y, G_y> + <groups, G_g>
            Var loss = Ops.add(Ops.sum(Ops.mul(y, Var.constant(hyperGrad))), Ops.sum(Ops.mul(groups, Var.constant(groupGrad))));
            loss.backward();
            return hyperedges.grad();
        }
    }

    @Benchmark
    public List<CsrMatrix> knnBuild() {
        List<CsrMatrix> graphs = new ArrayList<>();
        for (Tensor x : data.modalities().values()) {
            graphs.add(KnnGraph.freedom(x, 10));
        }
        return graphs;
    }

    @Benchmark
    public EvalResult fullRanking() {
        return evaluator.valid(scorer);
    }
}
