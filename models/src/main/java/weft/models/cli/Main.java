package weft.models.cli;

import weft.engine.KernelProvider;
import weft.engine.Kernels;
import weft.engine.Parallel;

/** The {@code weft} command line. */
public final class Main {
    public static final String VERSION = "0.1.0";

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command and returns the process exit code. */
    public static int run(String[] args) {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
            System.out.println(usage());
            return args.length == 0 ? 2 : 0;
        }
        switch (args[0]) {
            case "info":
                return info();
            case "version":
            case "--version":
                System.out.println("weft " + VERSION);
                return 0;
            default:
                System.err.println("weft: unknown command '" + args[0] + "'\n" + usage());
                return 2;
        }
    }

    static int info() {
        System.out.println("weft " + VERSION);
        System.out.println("java: " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
        System.out.println("kernels: " + Kernels.get().name() + " (" + KernelProvider.reason() + ")");
        System.out.println("threads: " + Parallel.threads());
        return 0;
    }

    static String usage() {
        return String.join("\n",
                "usage: weft COMMAND [options]",
                "commands:",
                "  info       version, JVM and the kernel provider in use",
                "  version    print the version");
    }
}
