package weft.engine;

/** Element-wise functions of one argument, evaluated by {@link Kernels#unary}. */
public enum UnaryOp {
    NEG, ABS, SQUARE, SQRT, RECIPROCAL, EXP, LOG, SIGMOID, TANH, RELU,
    /** {@code x > 0 ? x : param * x}. */
    LEAKY_RELU,
    /** {@code log(1 + exp(x))}, stable for large |x|. */
    SOFTPLUS,
    /** {@code log(sigmoid(x)) = -softplus(-x)}, stable for large |x|. */
    LOG_SIGMOID;

    /** The scalar definition; both providers must agree with it. */
    public float apply(float x, float param) {
        switch (this) {
            case NEG: return -x;
            case ABS: return Math.abs(x);
            case SQUARE: return x * x;
            case SQRT: return (float) Math.sqrt(x);
            case RECIPROCAL: return 1f / x;
            case EXP: return (float) Math.exp(x);
            case LOG: return (float) Math.log(x);
            case SIGMOID: return x >= 0 ? (float) (1.0 / (1.0 + Math.exp(-x))) : (float) (Math.exp(x) / (1.0 + Math.exp(x)));
            case TANH: return (float) Math.tanh(x);
            case RELU: return x > 0 ? x : 0f;
            case LEAKY_RELU: return x > 0 ? x : param * x;
            case SOFTPLUS: return (float) (Math.max(x, 0.0) + Math.log1p(Math.exp(-Math.abs(x))));
            case LOG_SIGMOID: return (float) (Math.min(x, 0.0) - Math.log1p(Math.exp(-Math.abs(x))));
            default: throw new AssertionError(this);
        }
    }
}
