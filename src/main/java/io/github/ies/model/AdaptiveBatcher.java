package io.github.ies.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs batches of patches through a device and adapts to device out-of-memory errors with the project's
 * {@link OutOfMemoryPolicy}: on a GPU the batch is halved (the smaller size is kept for later batches), and when one
 * patch per batch still does not fit the runner falls back to the CPU. Each step is reported as a warning.
 */
final class AdaptiveBatcher {

    /** The device side. */
    interface Runner {
        /** Outputs for {@code b} patches laid out one after the other in {@code batch}. */
        float[] run(float[] batch, int b);

        boolean onGpu();

        /** Moves the computation to the CPU. */
        void fallBackToCpu() throws BundleException;
    }

    private final Runner runner;
    private final Consumer<String> warn;
    private int batchSize;

    AdaptiveBatcher(Runner runner, int batchSize, Consumer<String> warn) {
        this.runner = runner;
        this.batchSize = Math.max(1, batchSize);
        this.warn = warn;
    }

    int batchSize() { return batchSize; }

    /** Outputs for {@code b} patches of {@code patchLen} values each, in batches of at most {@link #batchSize()}. */
    float[] predict(float[] batch, int b, int patchLen) throws BundleException {
        OutOfMemoryPolicy.Outcome<float[]> r = OutOfMemoryPolicy.run(Math.min(batchSize, b), bs -> inBatches(batch, b, patchLen, bs),
                runner::onGpu, () -> false, () -> {
                    warn.accept("out of memory on the GPU with one patch per batch: falling back to the CPU");
                    runner.fallBackToCpu();
                }, warn, "patches on the GPU");
        batchSize = Math.min(batchSize, r.batch());
        return r.result();
    }

    private float[] inBatches(float[] batch, int b, int patchLen, int bs) {
        if (b <= bs) return runner.run(batch, b);
        List<float[]> parts = new ArrayList<>();
        int total = 0;
        for (int s = 0; s < b; s += bs) {
            int n = Math.min(bs, b - s);
            float[] r = runner.run(Arrays.copyOfRange(batch, s * patchLen, (s + n) * patchLen), n);
            parts.add(r);
            total += r.length;
        }
        float[] all = new float[total];
        int o = 0;
        for (float[] r : parts) {
            System.arraycopy(r, 0, all, o, r.length);
            o += r.length;
        }
        return all;
    }
}
