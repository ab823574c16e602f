package io.github.ies.saliency;

import io.github.ies.model.Autograd;
import io.github.ies.model.GradientCheck;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The engine's side of the gradient backend self-check ({@link GradientCheck}): which kernels every gradient is
 * computed with, the check of each input shape before its first use, and the finiteness of every gradient after.
 */
final class BackendGuard {

    private final Session s;
    /** The kernels every gradient of this engine is computed with. */
    private volatile GradientCheck.Kernels kernels = "reference".equals(System.getProperty("ies.kernels"))
            ? GradientCheck.Kernels.REFERENCE : GradientCheck.Kernels.DEFAULT;   // the property: for benchmarks of the fallback
    /** Check results of this engine's shapes, by shape and batch size. */
    private final Map<String, GradientCheck.Result> checks = new LinkedHashMap<>();

    BackendGuard(Session s) { this.s = s; }

    GradientCheck.Kernels kernels() { return kernels; }

    List<GradientCheck.Result> checks() { return new ArrayList<>(checks.values()); }

    /** An autograd scope on the calling thread with the settled kernels. */
    Autograd autograd() { return Autograd.open(s.model, true, kernels.oneDnn()); }

    /**
     * Runs the backend self-check ({@link GradientCheck}, cached per shape) on the clean input of {@code box} for
     * batches of {@code batch}, and settles the kernels: oneDNN (the default) while it is sound on every shape of
     * this engine, else libtorch's reference kernels (for the whole engine, when they are sound on every shape so
     * far). Returns whether batches of {@code batch} are sound (always true for 1).
     *
     * @throws GradientException when no kernels give sound gradients for this shape (no map is computed from it)
     */
    boolean ensureSound(Box box, float[] x, int[] dims, int batch) {
        if (!s.o.backendCheck) return true;
        String key = Arrays.toString(box.size) + "x" + batch;
        GradientCheck.Result r = checks.get(key);
        if (r == null) {
            r = GradientCheck.run(s.model, box.extract(x, s.channels, dims), box.size, batch, s.o.float64, s.o.recheck);
            checks.put(key, r);
            if (r.cacheWarning != null) s.log.add(r.cacheWarning);
            if (r.failed() || !r.notes.isEmpty()) {
                s.log.add("gradient self-check, " + r.summary() + ": " + String.join("; ", r.notes));
            }
            if (!r.sound()) {
                throw new GradientException(s.bundle.name() + ": the gradient self-check failed on input shape " + Arrays.toString(r.shape)
                        + " (" + String.join("; ", r.notes) + "); no saliency map is computed with this backend. Try another "
                        + "device, or report it with the run.json of a run with --context full");
            }
            if (!r.sound(kernels)) {
                GradientCheck.Kernels other = kernels == GradientCheck.Kernels.DEFAULT ? GradientCheck.Kernels.REFERENCE : GradientCheck.Kernels.DEFAULT;
                for (GradientCheck.Result earlier : checks.values()) {
                    if (!earlier.sound(other)) {
                        throw new GradientException(s.bundle.name() + ": no kernels give sound gradients on every input shape of this run ("
                                + earlier.summary() + "; " + r.summary() + ")");
                    }
                }
                kernels = other;
                s.log.add("gradient self-check: " + (other == GradientCheck.Kernels.REFERENCE
                        ? "oneDNN's gradients failed on input shape " + Arrays.toString(r.shape) + "; this run uses libtorch's reference CPU kernels (oneDNN off)"
                        : "the reference kernels failed on input shape " + Arrays.toString(r.shape) + "; this run uses the default kernels"));
            }
            if (batch > 1 && !Boolean.TRUE.equals(r.batched)) {
                s.log.add("gradient self-check: batched gradients are unsound on input shape " + Arrays.toString(r.shape)
                        + " (batch " + batch + "); one VJP per backward pass instead");
            }
        }
        return batch == 1 || Boolean.TRUE.equals(r.batched);
    }

    /** Throws a {@link GradientException} naming the lesion and the copy when a gradient holds NaN or Inf. */
    void requireFinite(float[] g, Target t, int copy, Box box) {
        for (float v : g) {
            if (!Float.isFinite(v)) throw nonFinite(t, copy, box);
        }
    }

    /** The error for a NaN or Inf gradient of a target in noisy copy {@code copy} (-1: the clean input). */
    GradientException nonFinite(Target t, int copy, Box box) {
        String where = copy < 0 ? "the clean input" : "noisy copy " + (copy + 1) + " of " + s.o.samples;
        return new GradientException("lesion " + t.id + ", " + where + ": the gradient has NaN or Inf values (input box "
                + Arrays.toString(box.size) + ", " + kernels.key + " kernels, model " + s.bundle.name() + "); no maps are written. "
                + "The backend self-check passed on this shape, so the network itself gives non-finite gradients here: check the input for extreme values");
    }
}
