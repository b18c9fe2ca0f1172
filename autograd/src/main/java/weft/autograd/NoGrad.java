package weft.autograd;

/**
 * A scope in which ops record no graph (inference, evaluation):
 * {@code try (NoGrad g = NoGrad.scope()) { ... }}. Per thread; scopes nest.
 */
public final class NoGrad implements AutoCloseable {
    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    private NoGrad() {}

    public static NoGrad scope() {
        DEPTH.get()[0]++;
        return new NoGrad();
    }

    public static boolean active() {
        return DEPTH.get()[0] > 0;
    }

    @Override
    public void close() {
        DEPTH.get()[0]--;
    }
}
