package weft.spark;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.spark.sql.SparkSession;

import weft.models.LightGcn;
import weft.models.ModelConfig;
import weft.models.Recommender;
import weft.models.data.Dataset;
import weft.models.io.ModelDir;
import weft.models.options.Options;
import weft.models.train.TrainConfig;
import weft.models.train.TrainResult;
import weft.models.train.Trainer;

/** The tests' Spark session (local[2], one per test JVM), data folders and trained model folders. */
final class Fixtures {
    private Fixtures() {}

    private static SparkSession spark;

    static synchronized SparkSession spark() {
        if (spark == null) {
            spark = SparkSession.builder().master("local[2]").appName("weft-spark-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.driver.host", "127.0.0.1")
                    .getOrCreate();
        }
        return spark;
    }

    /** The repository root: the nearest ancestor of the working folder holding test-data/ and pom.xml. */
    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        for (Path q = p; q != null; q = q.getParent()) {
            if (Files.isDirectory(q.resolve("test-data")) && Files.isRegularFile(q.resolve("pom.xml"))) {
                return q;
            }
        }
        throw new IllegalStateException("no repository root (a folder with test-data/ and pom.xml) above " + p);
    }

    static Path testData() {
        return repoRoot().resolve("test-data");
    }

    /** The shared real-data folder: -Dweft.shared=DIR, else ../shared/data beside the repository. */
    static Path sharedData() {
        String prop = System.getProperty("weft.shared");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        return repoRoot().resolveSibling("shared").resolve("data");
    }

    /** A trained model and what training reported. */
    record Trained(Path dir, Dataset data, Recommender model, TrainResult result) {}

    /** LightGCN trained for {@code epochs} on {@code data} and saved into {@code dir}. */
    static Trained lightgcn(Dataset data, int epochs, Path dir) {
        ModelConfig mc = LightGcn.SPEC.config();
        Recommender rec = LightGcn.SPEC.create(data, mc, Options.defaults());
        TrainConfig tc = new TrainConfig();
        tc.epochs = epochs;
        tc.lr = 0.01f;
        tc.verbose = false;
        TrainResult r = new Trainer(tc, new PrintStream(new ByteArrayOutputStream())).fit(rec, data,
                LightGcn.SPEC.config(mc, Options.defaults()));
        ModelDir.save(dir, LightGcn.SPEC, mc, Options.defaults(), tc, rec, data, r);
        return new Trained(dir, data, rec, r);
    }
}
