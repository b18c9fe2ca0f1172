package weft.models.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import weft.engine.KernelProvider;
import weft.engine.Kernels;
import weft.engine.Parallel;
import weft.models.ModelConfig;
import weft.models.Models;
import weft.models.Recommender;
import weft.models.data.DataFormatException;
import weft.models.data.Dataset;
import weft.models.eval.EvalResult;
import weft.models.train.TrainConfig;
import weft.models.train.TrainResult;
import weft.models.train.Trainer;
import weft.models.util.Json;

/** The {@code weft} command line. */
public final class Main {
    public static final String VERSION = "0.1.0";

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs a command and returns the process exit code: 0 success, 1 bad data or failure, 2 bad usage. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
            (args.length == 0 ? err : out).println(usage());
            return args.length == 0 ? 2 : 0;
        }
        try {
            switch (args[0]) {
                case "info":
                    return info(out);
                case "version":
                case "--version":
                    out.println("weft " + VERSION);
                    return 0;
                case "train":
                    return train(args, out);
                default:
                    throw new Args.UsageException("unknown command '" + args[0] + "'");
            }
        } catch (Args.UsageException e) {
            err.println("weft " + args[0] + ": " + e.getMessage());
            err.println("run 'weft help' for usage");
            return 2;
        } catch (DataFormatException e) {
            err.println("weft: " + e.getMessage());
            return 1;
        } catch (UncheckedIOException e) {
            err.println("weft: " + e.getCause().getMessage());
            return 1;
        } catch (IOException e) {
            err.println("weft: " + e.getMessage());
            return 1;
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("weft " + args[0] + ": " + e.getMessage());
            return 1;
        }
    }

    static int info(PrintStream out) {
        out.println("weft " + VERSION);
        out.println("java: " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
        out.println("kernels: " + Kernels.get().name() + " (" + KernelProvider.reason() + ")");
        out.println("threads: " + Parallel.threads());
        return 0;
    }

    /** The folder used when --data is absent: test-data/ of the weft installation. */
    static Path defaultData() {
        String home = System.getProperty("weft.home");
        return home != null ? Path.of(home, "test-data") : Path.of("test-data");
    }

    static Args trainFlags() {
        return new Args()
                .valued("model", "data", "epochs", "patience", "dim", "lr", "reg", "layers", "batch", "seed", "threads", "report")
                .switches("quiet");
    }

    static int train(String[] argv, PrintStream out) throws IOException {
        Args a = trainFlags().parse(argv, 1);
        String model = a.string("model", null);
        if (model == null) {
            throw new Args.UsageException("--model is required (one of " + String.join(", ", Models.names()) + ")");
        }
        if (Models.canonical(model) == null) {
            throw new Args.UsageException("unknown model '" + model + "'; known: " + String.join(", ", Models.names()));
        }
        ModelConfig mc = new ModelConfig();
        TrainConfig tc = new TrainConfig();
        mc.dim = a.integer("dim", mc.dim, 1);
        mc.layers = a.integer("layers", mc.layers, 0);
        mc.reg = (float) a.real("reg", mc.reg, 0);
        tc.epochs = a.integer("epochs", tc.epochs, 1);
        tc.patience = a.integer("patience", tc.patience, 1);
        tc.lr = (float) a.real("lr", tc.lr, 0);
        tc.batch = a.integer("batch", tc.batch, 1);
        tc.seed = a.longValue("seed", tc.seed);
        mc.seed = tc.seed;
        tc.verbose = !a.has("quiet");
        if (a.has("threads")) {
            Parallel.setThreads(a.integer("threads", Parallel.threads(), 1));
        }
        Path report = a.has("report") ? Path.of(a.string("report", null)) : null;
        Path dir = a.has("data") ? Path.of(a.string("data", null)) : defaultData();
        if (!Files.isDirectory(dir)) {
            throw new Args.UsageException("--data: '" + dir + "' is not a folder");
        }

        Dataset data = Dataset.load(dir);
        if (tc.verbose) {
            out.println(String.format(Locale.ROOT, "weft %s | %s | %s: %d users, %d items, %d training pairs | kernels %s, %d threads",
                    VERSION, Models.canonical(model), data.name(), data.numUsers(), data.numItems(), data.numTrain(),
                    Kernels.get().name(), Parallel.threads()));
        }
        Recommender rec = Models.create(model, data, mc);
        TrainResult r = new Trainer(tc, out).fit(rec, data, mc.asMap());
        printResult(out, r);
        if (report != null) {
            Json.writeFile(report, r.toJsonObject());
            out.println("report written to " + report);
        }
        return 0;
    }

    static void printResult(PrintStream out, TrainResult r) {
        out.println();
        out.println(String.format(Locale.ROOT, "%s on %s: best epoch %d of %d (%.2fs train, %.2fs eval per epoch)",
                r.model, r.dataset, r.bestEpoch, r.epochs.size(), r.trainSecondsPerEpoch(), r.evalSecondsPerEpoch()));
        out.println("valid");
        out.print(r.valid.toTable());
        out.println("test");
        out.print(r.test.toTable());
    }

    static String usage() {
        return String.join("\n",
                "usage: weft COMMAND [options]",
                "commands:",
                "  train      train a model and report valid/test metrics at the best-valid epoch",
                "             --model " + String.join("|", Models.names()) + " [--data DIR (default test-data/)]",
                "             [--epochs 1000] [--patience 20] [--dim 64] [--lr 1e-3] [--reg 1e-4] [--layers 3]",
                "             [--batch 2048] [--seed S] [--threads T] [--report FILE.json] [--quiet]",
                "  info       version, JVM and the kernel provider in use",
                "  version    print the version");
    }

}
