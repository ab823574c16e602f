package io.github.ies.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.BeforeClass;
import org.junit.Test;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * libtorch's allocator junk fill ({@link JunkFill}): while a scope is open, memory libtorch hands out unwritten (an
 * empty tensor) reads as NaN, every time; scopes nest, and the flag is restored when the last one closes.
 */
public class JunkFillTest {

    @BeforeClass
    public static void start() {
        TorchRuntime.configure(2);
    }

    /** The count of NaN among the values of a fresh, unwritten tensor of {@code n} floats. */
    static int nanInEmpty(int n) {
        try (NDManager m = TorchRuntime.engine().newBaseManager()) {
            NDArray e = m.create(new Shape(n), DataType.FLOAT32);
            int nan = 0;
            for (float v : e.toFloatArray()) if (Float.isNaN(v)) nan++;
            return nan;
        }
    }

    @Test
    public void unwrittenMemoryReadsAsNanWhileAScopeIsOpen() {
        assertTrue("the flag is reachable where the project ships natives: " + JunkFill.unavailableReason(), JunkFill.available());
        assertFalse(JunkFill.enabled());
        // large (mmap'd, zero pages from the system) and small (heap, reused) blocks alike
        for (int n : new int[] {1_000_000, 1000, 3}) {
            try (CountedSetting.Scope s = JunkFill.on()) {
                assertTrue(JunkFill.enabled());
                assertEquals("unwritten floats of a " + n + "-float block", n, nanInEmpty(n));
            }
            assertFalse(JunkFill.enabled());
        }
    }

    @Test
    public void scopesNestAndTheLastOneRestoresTheFlag() {
        CountedSetting.Scope outer = JunkFill.on();
        CountedSetting.Scope inner = JunkFill.on();
        inner.close();
        inner.close(); // twice: harmless
        assertTrue("the outer scope is still open", JunkFill.enabled());
        assertEquals(1000, nanInEmpty(1000));
        outer.close();
        assertFalse(JunkFill.enabled());
    }
}
