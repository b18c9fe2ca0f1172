package weft.engine;

import java.util.logging.Logger;

/**
 * Chooses the {@link Kernels} implementation once, at first use.
 *
 * <p>The Vector API implementation ({@code PanamaKernels}) is loaded reflectively, only when the
 * {@code jdk.incubator.vector} module is in the boot layer (the JVM was started with
 * {@code --add-modules jdk.incubator.vector}); otherwise, or when the system property
 * {@code weft.kernels=scalar} is set, the plain-Java {@link ScalarKernels} is used.
 * The choice is logged once. Either is handed out inside {@link ParallelKernels}, which splits
 * large element-wise and row-wise loops over the pool without changing their bits.
 */
public final class KernelProvider {
    private static final Logger LOG = Logger.getLogger(KernelProvider.class.getName());
    private static volatile Kernels instance;
    private static volatile String reason = "";

    private KernelProvider() {}

    public static Kernels kernels() {
        Kernels k = instance;
        if (k == null) {
            synchronized (KernelProvider.class) {
                k = instance;
                if (k == null) {
                    k = new ParallelKernels(choose());
                    instance = k;
                    LOG.fine(() -> "weft kernels: " + instance.name() + " (" + reason + ")");
                }
            }
        }
        return k;
    }

    /** Why the current provider was chosen, for {@code weft info}. */
    public static String reason() {
        kernels();
        return reason;
    }

    /** The provider that does the arithmetic of {@link #kernels()} (ScalarKernels or PanamaKernels). */
    public static Kernels base() {
        return ((ParallelKernels) kernels()).base();
    }

    /** The scalar reference implementation, whatever was chosen. */
    public static Kernels scalar() {
        return ScalarKernels.INSTANCE;
    }

    /** The Vector API implementation, or null when the module is absent. */
    public static Kernels panamaOrNull() {
        if (!vectorModulePresent()) {
            return null;
        }
        try {
            Class<?> c = Class.forName("weft.engine.PanamaKernels");
            return (Kernels) c.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return null;
        }
    }

    public static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    private static Kernels choose() {
        String prop = System.getProperty("weft.kernels", "auto").trim().toLowerCase();
        if (prop.equals("scalar")) {
            reason = "forced by -Dweft.kernels=scalar";
            return ScalarKernels.INSTANCE;
        }
        if (!prop.equals("auto") && !prop.equals("panama") && !prop.isEmpty()) {
            throw new IllegalArgumentException("weft.kernels must be auto, panama or scalar, got '" + prop + "'");
        }
        Kernels p = panamaOrNull();
        if (p != null) {
            reason = "jdk.incubator.vector present";
            return p;
        }
        if (prop.equals("panama")) {
            throw new IllegalStateException("weft.kernels=panama but jdk.incubator.vector is not available: start the JVM with --add-modules jdk.incubator.vector");
        }
        reason = "jdk.incubator.vector absent (start the JVM with --add-modules jdk.incubator.vector)";
        return ScalarKernels.INSTANCE;
    }
}
