package weft.bench;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import weft.bench.guard.Shapes;
import weft.bench.guard.StepBenchmark;

/**
 * A same-JVM A/B of an engine switch on whole training steps: one model on a guard shape
 * ({@link Shapes}), the switch (a static boolean field) flipped between blocks of steps in the
 * order off, on, on, off, off, on, ... so that drift in the machine's speed falls on both sides
 * alike. Prints the median milliseconds per step with each side's quartiles over the blocks, and
 * on / off.
 *
 * <p>Why: on the shared 2-core machines a whole run's epoch time moves by 10-30 % from one run to
 * the next (LightGCN's step read 2.95 and 5.67 ms in two runs of the same build), more than most
 * changes; within one JVM, alternating blocks of a few steps, the two sides see the same machine.
 * The steps are {@link StepBenchmark#step} (zero the gradients, loss, backward, Adam, in a step
 * arena, epoch 0's first batch every time), set up as the guard sets it up.
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector -XX:+UseParallelGC -Dweft.threads=2 \
 *       -cp benchmarks/target/benchmarks.jar weft.bench.SwitchAB MODEL SHAPE CLASS#FIELD [BLOCKS] [STEPS]
 *   ... weft.bench.SwitchAB dprec lastfm weft.engine.Parallel#twoEnds 40 10
 * </pre>
 * BLOCKS per side (default 40) of STEPS steps (default 10), after 400 steps of warm-up. The field
 * must be a static boolean; it is left as it was found.
 */
public final class SwitchAB {
    private SwitchAB() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 3 || args.length > 5) {
            System.err.println("usage: SwitchAB MODEL SHAPE CLASS#FIELD [BLOCKS] [STEPS]   (e.g. dprec lastfm weft.engine.Parallel#twoEnds 40 10)");
            System.exit(2);
        }
        String model = args[0], shape = args[1];
        Field f;
        int blocks, steps;
        try {
            f = staticBoolean(args[2]);
            blocks = args.length > 3 ? positive("BLOCKS", args[3]) : 40;
            steps = args.length > 4 ? positive("STEPS", args[4]) : 10;
        } catch (IllegalArgumentException | ClassNotFoundException e) {
            System.err.println("SwitchAB: " + (e instanceof ClassNotFoundException ? "no class " + e.getMessage() : e.getMessage()));
            System.exit(2);
            return;
        }

        StepBenchmark bench = new StepBenchmark();   // the guard's training step: its model, shape and batch
        bench.model = model;
        bench.shape = shape;
        try {
            bench.setup();
        } catch (IllegalArgumentException e) {   // an unknown model or shape
            System.err.println("SwitchAB: " + e.getMessage());
            System.exit(2);
            return;
        }
        boolean found = f.getBoolean(null);
        try {
            for (int i = 0; i < 400; i++) {
                bench.step();
            }
            double[][] ms = new double[2][blocks];
            for (int b = 0; b < 2 * blocks; b++) {
                int side = (b / 2) % 2 == 0 ? b % 2 : 1 - b % 2;   // off on on off off on ...
                f.setBoolean(null, side == 1);
                long t0 = System.nanoTime();
                for (int i = 0; i < steps; i++) {
                    bench.step();
                }
                ms[side][b / 2] = (System.nanoTime() - t0) / 1e6 / steps;
            }
            Arrays.sort(ms[0]);
            Arrays.sort(ms[1]);
            System.out.printf("%s on %s, %s: off %.2f ms per step (quartiles %.2f, %.2f), on %.2f (%.2f, %.2f), on / off %.3f"
                            + " (%d blocks of %d steps per side)%n",
                    model, shape, args[2], ms[0][blocks / 2], ms[0][blocks / 4], ms[0][3 * blocks / 4],
                    ms[1][blocks / 2], ms[1][blocks / 4], ms[1][3 * blocks / 4], ms[1][blocks / 2] / ms[0][blocks / 2], blocks, steps);
        } finally {
            f.setBoolean(null, found);
        }
    }

    private static Field staticBoolean(String spec) throws ClassNotFoundException {
        int hash = spec.indexOf('#');
        if (hash <= 0 || hash == spec.length() - 1) {
            throw new IllegalArgumentException("the switch must be CLASS#FIELD, e.g. weft.engine.Parallel#twoEnds, got '" + spec + "'");
        }
        Class<?> c = Class.forName(spec.substring(0, hash));
        Field f;
        try {
            f = c.getDeclaredField(spec.substring(hash + 1));
        } catch (NoSuchFieldException e) {
            throw new IllegalArgumentException(c.getName() + " has no field '" + spec.substring(hash + 1) + "'");
        }
        if (f.getType() != boolean.class || !Modifier.isStatic(f.getModifiers()) || Modifier.isFinal(f.getModifiers())) {
            throw new IllegalArgumentException(spec + " must be a static, non-final boolean field");
        }
        f.setAccessible(true);
        return f;
    }

    private static int positive(String what, String text) {
        try {
            int v = Integer.parseInt(text);
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(what + " must be a positive integer, got '" + text + "'");
    }
}
