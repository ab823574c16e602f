package io.github.ies.saliency;

/**
 * A gradient that cannot be trusted: the backend self-check found no sound kernels for an input shape, or a
 * gradient held NaN or Inf values. The message is one line naming the lesion, copy or shape; no map is written.
 */
public final class GradientException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public GradientException(String message) { super(message); }
}
