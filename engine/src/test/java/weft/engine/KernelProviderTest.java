package weft.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import org.junit.jupiter.api.Test;

/**
 * The provider is chosen once per JVM, so the choice itself is checked against the property
 * this JVM was started with: the engine's pom runs the tests twice, once with
 * {@code -Dweft.kernels=auto} and once with {@code -Dweft.kernels=scalar}, both with the vector
 * module. Other property values are checked by calling the private selection method directly.
 */
class KernelProviderTest {

    private static String property() {
        return System.getProperty("weft.kernels", "auto").trim().toLowerCase();
    }

    @Test
    void chosenProviderFollowsTheProperty() {
        Kernels k = Kernels.get();
        assertSame(k, KernelProvider.kernels(), "chosen once and reused");
        if (property().equals("scalar")) {
            assertSame(ScalarKernels.INSTANCE, KernelProvider.base());
            assertEquals("scalar", k.name());
            assertTrue(KernelProvider.reason().contains("weft.kernels=scalar"), KernelProvider.reason());
        } else if (KernelProvider.vectorModulePresent()) {
            assertTrue(k.name().startsWith("panama-"), "auto with the vector module should pick panama, got " + k.name());
            assertInstanceOf(PanamaKernels.class, KernelProvider.base());
            assertTrue(KernelProvider.reason().contains("present"), KernelProvider.reason());
        } else {
            assertEquals("scalar", k.name());
            assertTrue(KernelProvider.reason().contains("absent"), KernelProvider.reason());
        }
    }

    @Test
    void scalarAndPanamaAreAlwaysReachable() {
        assertSame(ScalarKernels.INSTANCE, KernelProvider.scalar());
        // Surefire adds the module in both runs; the test below depends on it.
        assertTrue(KernelProvider.vectorModulePresent(), "tests are expected to run with --add-modules jdk.incubator.vector");
        Kernels p = KernelProvider.panamaOrNull();
        assertNotNull(p);
        assertEquals("panama-" + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize(), p.name());
    }

    @Test
    void selectionLogicForEachPropertyValue() throws Exception {
        assertEquals("scalar", chooseWith("scalar").name());
        assertEquals("scalar", chooseWith(" SCALAR ").name(), "trimmed and case-insensitive");
        assertTrue(chooseWith("auto").name().startsWith("panama-"));
        assertTrue(chooseWith("panama").name().startsWith("panama-"));
        assertTrue(chooseWith("").name().startsWith("panama-"), "empty means auto");
        IllegalArgumentException e = (IllegalArgumentException) chooseFails("simd");
        assertTrue(e.getMessage().contains("simd") && e.getMessage().contains("auto, panama or scalar"), e.getMessage());
        assertFalse(KernelProvider.reason().isEmpty());
    }

    /**
     * Runs the private {@code choose()} with the property set to {@code value}, restoring the
     * property and the recorded reason afterwards so that the rest of the JVM sees no change.
     */
    private static Kernels chooseWith(String value) throws Exception {
        try {
            return (Kernels) invokeChoose(value);
        } catch (InvocationTargetException e) {
            throw new AssertionError("choose() failed for '" + value + "'", e.getCause());
        }
    }

    private static Throwable chooseFails(String value) throws Exception {
        try {
            invokeChoose(value);
        } catch (InvocationTargetException e) {
            return e.getCause();
        }
        throw new AssertionError("choose() accepted '" + value + "'");
    }

    private static Object invokeChoose(String value) throws Exception {
        KernelProvider.kernels(); // make the real choice first, so that ours cannot become it
        Method choose = KernelProvider.class.getDeclaredMethod("choose");
        choose.setAccessible(true);
        Field reason = KernelProvider.class.getDeclaredField("reason");
        reason.setAccessible(true);
        Object savedReason = reason.get(null);
        String savedProp = System.getProperty("weft.kernels");
        System.setProperty("weft.kernels", value);
        try {
            return choose.invoke(null);
        } finally {
            if (savedProp == null) System.clearProperty("weft.kernels");
            else System.setProperty("weft.kernels", savedProp);
            reason.set(null, savedReason);
        }
    }
}
