package io.github.ies.model;

import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The one answer to a device out-of-memory error, for segmentation and saliency alike (CSBDeep's rule): redo the
 * work with half the batch, down to one, freeing cached GPU memory in between; at one, take the fallback (the
 * segmenter moves to the CPU) or give up. Each step is reported as a warning.
 */
public final class OutOfMemoryPolicy {

    private OutOfMemoryPolicy() {}

    /** The work, for a batch size. */
    @FunctionalInterface
    public interface Attempt<T> {
        T run(int batch) throws BundleException;
    }

    /** What to do when one element per batch still does not fit; returns to retry, throws to give up. */
    @FunctionalInterface
    public interface Fallback {
        void atBatchOne() throws BundleException;
    }

    /** The outcome: the result and the batch size it was obtained with. */
    public record Outcome<T>(T result, int batch) { }

    /**
     * Runs {@code attempt} with {@code batch}; on an out-of-memory error (see {@link TorchModel#isOutOfMemory}) while
     * {@code retry} holds, halves the batch (emptying the GPU cache when {@code gpu} holds) and runs it again; at
     * batch 1 calls {@code fallback} (null: rethrow). Other errors pass through. {@code what} names the work in the
     * warnings ("out of memory with a batch of 8 {what}: retrying with 4").
     */
    public static <T> Outcome<T> run(int batch, Attempt<T> attempt, BooleanSupplier retry, BooleanSupplier gpu, Fallback fallback,
            Consumer<String> warn, String what) throws BundleException {
        int b = Math.max(1, batch);
        while (true) {
            try {
                return new Outcome<>(attempt.run(b), b);
            } catch (RuntimeException e) {
                if (!TorchModel.isOutOfMemory(e) || !retry.getAsBoolean()) throw e;
                if (b > 1) {
                    int half = Math.max(1, b / 2);
                    warn.accept("out of memory with a batch of " + b + " " + what + ": retrying with " + half);
                    b = half;
                    if (gpu.getAsBoolean()) Autograd.emptyGpuCache();
                } else if (fallback != null) {
                    fallback.atBatchOne();
                } else {
                    throw e;
                }
            }
        }
    }
}
