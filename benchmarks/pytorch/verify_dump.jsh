// weft's side of `seed_steps.py --verify`: builds a model as `weft train` does (default options,
// seed 2024) on a dataset folder, writes its parameters in parameters() order (param_NNN.npy),
// epoch 0's first batch (batch_users/pos/neg.npy, ids stored as float32, exact below 2^24), and
// the batch's loss before and after one training step on it (zero gradients, loss, backward,
// Adam lr 1e-3) into meta.txt.
//
//   mvn -q -B -ntp -DskipTests -pl models -am package      # once
//   WEFT_VERIFY_DATA=/tmp/weft-shapes/lastfm WEFT_VERIFY_MODEL=hmarec WEFT_VERIFY_OUT=/tmp/weft-verify-hmarec \
//   jshell -R--add-modules=jdk.incubator.vector \
//       --class-path "$(ls models/target/weft-models.jar models/target/lib/*.jar | paste -sd:)" \
//       benchmarks/pytorch/verify_dump.jsh
//   /usr/bin/python3 benchmarks/pytorch/seed_steps.py --verify /tmp/weft-verify-hmarec
//
// WEFT_VERIFY_MODALITIES (optional): NAME=FILE.npy,... in the folder (default: image_feat.npy,
// text_feat.npy when present).
import java.nio.file.*;
import java.util.*;
import weft.autograd.Var;
import weft.autograd.optim.Adam;
import weft.engine.Tensor;
import weft.models.*;
import weft.models.data.*;

String dataDir = System.getenv("WEFT_VERIFY_DATA");
String modelName = System.getenv("WEFT_VERIFY_MODEL");
Path outDir = Path.of(System.getenv("WEFT_VERIFY_OUT"));
String modSpec = Objects.requireNonNullElse(System.getenv("WEFT_VERIFY_MODALITIES"), "");
Files.createDirectories(outDir);

Dataset.Options dopts = new Dataset.Options();
if (!modSpec.isEmpty()) {
    dopts.defaultModalities(false);
    for (String s : modSpec.split(",")) dopts.modality(s.split("=")[0], s.split("=")[1]);
}
Dataset data = Dataset.load(Path.of(dataDir), dopts);
ModelConfig cfg = new ModelConfig();
Recommender rec = Models.create(modelName, data, cfg);
List<Var> params = rec.parameters();
long total = 0;
for (int k = 0; k < params.size(); k++) {
    Tensor t = params.get(k).value;
    Npy.write(outDir.resolve(String.format("param_%03d.npy", k)), t);
    total += (long) t.rows * t.cols;
}
TrainBatches.Batch batch = new TrainBatches(data, 2048, cfg.seed).epoch(0).iterator().next();
int[][] cols = {batch.users(), batch.pos(), batch.neg()};
String[] names = {"users", "pos", "neg"};
for (int c = 0; c < 3; c++) {
    float[] f = new float[cols[c].length];
    for (int i = 0; i < f.length; i++) f[i] = cols[c][i];
    Npy.write(outDir.resolve("batch_" + names[c] + ".npy"), new Tensor(f, 0, f.length, 1));
}
Adam adam = new Adam(params, 1e-3f);
rec.startEpoch(0);
float[] losses = new float[2];
for (int k = 0; k < 2; k++) {
    adam.zeroGrad();
    Var loss = rec.loss(batch);
    loss.backward();
    adam.step();
    losses[k] = loss.value.item();
}
List<String> meta = new ArrayList<>();
meta.add("model=" + modelName);
meta.add("data=" + Path.of(dataDir).toAbsolutePath());
meta.add("modalities=" + modSpec);
meta.add("parameters=" + total);
meta.add("losses=" + losses[0] + "," + losses[1]);
Files.write(outDir.resolve("meta.txt"), meta);
System.out.println(modelName + ": " + params.size() + " parameter tensors, " + total + " values; losses " + losses[0] + ", " + losses[1]);
/exit
