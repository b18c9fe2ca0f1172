// weft's side of `lightgcn_trajectory.py`: trains LightGCN as weft's Trainer does (zero gradients,
// loss, backward, Adam lr 1e-3) for WEFT_TRAJ_EPOCHS epochs at WEFT_TRAJ_SEED and writes the initial
// embedding table (init.npy), the gradient of the first batch (grad0.npy, and of its BPR and EmbLoss
// parts: grad0_bpr.npy, grad0_reg.npy), every batch (batches.npy: rows of user, pos, neg, as float64),
// and the table after every epoch (after_EEE.npy).
//
//   WEFT_TRAJ_DATA=../shared/data/lastfm-2k WEFT_TRAJ_OUT=/tmp/traj WEFT_TRAJ_EPOCHS=3 \
//   jshell -R--add-modules=jdk.incubator.vector -R-Dweft.threads=1 \
//       --class-path "$(ls models/target/weft-models.jar models/target/lib/*.jar | paste -sd:)" \
//       benchmarks/pytorch/trajectory_dump.jsh
import java.nio.file.*;
import java.util.*;
import weft.autograd.Var;
import weft.autograd.ShapeOps;
import weft.autograd.Ops;
import weft.autograd.nn.Losses;
import weft.autograd.optim.Adam;
import weft.engine.Tensor;
import weft.models.*;
import weft.models.blocks.*;
import weft.models.data.*;

Path outDir = Path.of(System.getenv("WEFT_TRAJ_OUT"));
int epochs = Integer.parseInt(Objects.requireNonNullElse(System.getenv("WEFT_TRAJ_EPOCHS"), "3"));
long seed = Long.parseLong(Objects.requireNonNullElse(System.getenv("WEFT_TRAJ_SEED"), "1"));
Files.createDirectories(outDir);
Dataset.Options dopts = new Dataset.Options();
dopts.defaultModalities(false);
Dataset data = Dataset.load(Path.of(System.getenv("WEFT_TRAJ_DATA")), dopts);
ModelConfig cfg = new ModelConfig();
cfg.seed = seed;
LightGcn rec = (LightGcn) Models.create("lightgcn", data, cfg);
Var emb = rec.parameters().get(0);
Npy.write(outDir.resolve("init.npy"), emb.value);
TrainBatches tb = new TrainBatches(data, 2048, seed);
List<int[]> rows = new ArrayList<>();
Adam adam = new Adam(rec.parameters(), 1e-3f);
boolean first = true;
for (int e = 0; e < epochs; e++) {
    rec.startEpoch(e);
    for (TrainBatches.Batch b : tb.epoch(e)) {
        if (first) {
            // the two parts of the first batch's gradient, separately
            adam.zeroGrad();
            int nu = data.numUsers();
            int[] pos = Index.offset(b.pos(), nu), neg = Index.offset(b.neg(), nu);
            Var all = Graphs.layerMean(Graphs.normalizedAdjacency(Graphs.interactions(data)), emb, cfg.layers);
            Var u = ShapeOps.gatherRows(all, b.users());
            Losses.bpr(Ops.rowDot(u, ShapeOps.gatherRows(all, pos)), Ops.rowDot(u, ShapeOps.gatherRows(all, neg))).backward();
            Npy.write(outDir.resolve("grad0_bpr.npy"), emb.grad().copy());
            adam.zeroGrad();
            Losses.embLoss(cfg.reg, b.size(), ShapeOps.gatherRows(emb, b.users()), ShapeOps.gatherRows(emb, pos),
                    ShapeOps.gatherRows(emb, neg)).backward();
            Npy.write(outDir.resolve("grad0_reg.npy"), emb.grad().copy());
        }
        adam.zeroGrad();
        Var loss = rec.loss(b);
        loss.backward();
        if (first) {
            Npy.write(outDir.resolve("grad0.npy"), emb.grad().copy());
            first = false;
        }
        adam.step();
        for (int k = 0; k < b.size(); k++) rows.add(new int[] {b.users()[k], b.pos()[k], b.neg()[k]});
    }
    Npy.write(outDir.resolve(String.format("after_%03d.npy", e)), emb.value);
}
Tensor bt = new Tensor(rows.size(), 3);
for (int k = 0; k < rows.size(); k++) for (int c = 0; c < 3; c++) bt.data[k * 3 + c] = rows.get(k)[c];
Npy.write(outDir.resolve("batches.npy"), bt);
Files.write(outDir.resolve("meta.txt"), List.of("epochs=" + epochs, "seed=" + seed, "batch=2048", "pairs_per_epoch=" + tb.size()));
System.out.println("wrote " + outDir + ": " + epochs + " epochs, " + rows.size() + " triples");
/exit
