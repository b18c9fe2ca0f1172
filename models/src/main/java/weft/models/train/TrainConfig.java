package weft.models.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The training loop's settings, with the protocol's defaults (docs/models.md).
 *
 * <p>The checkpoint settings ({@link #checkpointDir}, {@link #checkpointEvery}, {@link #resumeDir})
 * are deliberately not in {@link #asMap()}, the report's config: where and how often a run keeps
 * its state does not change its numbers, and a resumed run's report must equal an uninterrupted
 * one's.
 */
public final class TrainConfig {
    public int epochs = 1000;
    public int patience = 20;
    public float lr = 1e-3f;
    public int batch = 2048;
    public long seed = 2024;
    /** Print per-epoch progress (a bar on a terminal, one line per epoch otherwise). */
    public boolean verbose = true;
    /** Keep the latest full training state in this folder ({@link Checkpoint}); null: none. */
    public Path checkpointDir;
    /** Checkpoint after every this many epochs; 0: the resumed checkpoint's interval, or 1. */
    public int checkpointEvery;
    /** Continue the run whose checkpoint is in this folder; null: start afresh. */
    public Path resumeDir;

    /** A copy, e.g. to change the seed for one run of several. */
    public TrainConfig copy() {
        TrainConfig c = new TrainConfig();
        c.epochs = epochs;
        c.patience = patience;
        c.lr = lr;
        c.batch = batch;
        c.seed = seed;
        c.verbose = verbose;
        c.checkpointDir = checkpointDir;
        c.checkpointEvery = checkpointEvery;
        c.resumeDir = resumeDir;
        return c;
    }

    public Map<String, Object> asMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epochs", epochs);
        m.put("patience", patience);
        m.put("lr", lr); // a Float: Json writes it as Float.toString (0.001)
        m.put("batch", batch);
        m.put("seed", seed);
        return m;
    }
}
