package io.github.ies.model;

/**
 * Progress reports and cancellation for long computations (no GUI dependency: the CLI prints, Fiji shows a bar).
 * Implementations must be cheap; they are called between batches.
 */
public interface ProgressListener {

    ProgressListener NONE = (stage, done, total) -> { };

    /** {@code done} of {@code total} units of {@code stage} are finished. */
    void progress(String stage, long done, long total);

    /** Polled between batches; returning true stops the computation with a {@link java.util.concurrent.CancellationException}. */
    default boolean isCancelled() { return false; }

    /** Throws {@link java.util.concurrent.CancellationException} when cancelled. */
    default void checkCancelled() {
        if (isCancelled()) throw new java.util.concurrent.CancellationException("cancelled");
    }
}
