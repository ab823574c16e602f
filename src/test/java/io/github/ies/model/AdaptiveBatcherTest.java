package io.github.ies.model;

import org.junit.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.Assert.*;

/** Out-of-memory handling: halve the batch, then the CPU; results identical to an unconstrained run. */
public class AdaptiveBatcherTest {

    /** A fake device: output per patch = 2 x its values; OOM when a batch holds more than maxOnGpu patches. */
    static class FakeRunner implements AdaptiveBatcher.Runner {
        int maxOnGpu;
        boolean gpu = true;
        int fallbacks;
        final List<Integer> batchSizes = new ArrayList<>();

        FakeRunner(int maxOnGpu) { this.maxOnGpu = maxOnGpu; }

        @Override
        public float[] run(float[] batch, int b) {
            if (gpu && b > maxOnGpu) throw new ai.djl.engine.EngineException("CUDA out of memory. Tried to allocate 2.00 GiB");
            batchSizes.add(b);
            float[] out = new float[batch.length];
            for (int i = 0; i < out.length; i++) out[i] = 2 * batch[i];
            return out;
        }

        @Override public boolean onGpu() { return gpu; }
        @Override public void fallBackToCpu() { gpu = false; fallbacks++; }
    }

    private static float[] batch(int b, int len) {
        float[] x = new float[b * len];
        for (int i = 0; i < x.length; i++) x[i] = i;
        return x;
    }

    @Test
    public void halvesTheBatchOnOutOfMemory() throws Exception {
        FakeRunner r = new FakeRunner(2);
        List<String> warnings = new ArrayList<>();
        AdaptiveBatcher a = new AdaptiveBatcher(r, 8, warnings::add);
        float[] x = batch(8, 5);
        float[] y = a.predict(x, 8, 5);
        for (int i = 0; i < x.length; i++) assertEquals(2 * x[i], y[i], 0);
        assertEquals(2, a.batchSize());                  // 8 -> 4 -> 2
        assertEquals(List.of(2, 2, 2, 2), r.batchSizes);
        assertEquals(2, warnings.size());
        assertTrue(warnings.get(0).contains("retrying with 4"));
        // later batches use the reduced size directly
        r.batchSizes.clear();
        a.predict(batch(3, 5), 3, 5);
        assertEquals(List.of(2, 1), r.batchSizes);
        assertEquals(0, r.fallbacks);
    }

    @Test
    public void fallsBackToCpuWhenOnePatchDoesNotFit() throws Exception {
        FakeRunner r = new FakeRunner(0);
        List<String> warnings = new ArrayList<>();
        AdaptiveBatcher a = new AdaptiveBatcher(r, 2, warnings::add);
        float[] x = batch(2, 3);
        float[] y = a.predict(x, 2, 3);
        for (int i = 0; i < x.length; i++) assertEquals(2 * x[i], y[i], 0);
        assertEquals(1, r.fallbacks);
        assertFalse(r.gpu);
        assertTrue(warnings.get(warnings.size() - 1).contains("falling back to the CPU"));
    }

    @Test
    public void otherErrorsAndCpuOutOfMemoryPropagate() {
        FakeRunner r = new FakeRunner(0) {
            @Override public float[] run(float[] batch, int n) { throw new ai.djl.engine.EngineException("DefaultCPUAllocator: not enough memory (out of memory)"); }
        };
        r.gpu = false;
        AdaptiveBatcher a = new AdaptiveBatcher(r, 2, w -> { });
        try {
            a.predict(batch(2, 3), 2, 3);
            fail("CPU out-of-memory swallowed");
        } catch (Exception e) {
            assertTrue(e.getMessage().contains("out of memory"));
        }
        AdaptiveBatcher b = new AdaptiveBatcher(new FakeRunner(9) {
            @Override public float[] run(float[] batch, int n) { throw new IllegalStateException("shape mismatch"); }
        }, 2, w -> { });
        try {
            b.predict(batch(2, 3), 2, 3);
            fail();
        } catch (Exception e) {
            assertEquals("shape mismatch", e.getMessage());
        }
    }
}
