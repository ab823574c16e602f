package io.github.ies.pipeline;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.ies.model.GradientCheck;
import io.github.ies.model.OneDnn;
import io.github.ies.saliency.SaliencyEngine;

/** run.json's {@code backend_check}: the kernels the run used and one entry per checked input shape and batch size. */
final class BackendCheckRecord {

    private BackendCheckRecord() {}

    static JsonObject of(SaliencyEngine engine) {
        JsonObject b = new JsonObject();
        b.addProperty("enabled", engine.settings().backendCheck);
        b.addProperty("recheck", engine.settings().recheck);
        java.nio.file.Path cache = io.github.ies.model.BackendCheckCache.folder();
        b.addProperty("cache", cache == null ? null : cache.toString());
        b.addProperty("kernels", engine.kernels().key);
        String why = OneDnn.unavailableReason();
        b.addProperty("reference_kernels_available", why == null);
        if (why != null) b.addProperty("reference_kernels_unavailable", why);
        JsonArray a = new JsonArray();
        for (GradientCheck.Result r : engine.backendChecks()) {
            JsonObject c = new JsonObject();
            c.add("shape", RunRecord.ints(r.shape));
            c.addProperty("batch", r.batch);
            c.addProperty("default_kernels", verdict(r.defaultKernels));
            c.addProperty("reference_kernels", verdict(r.referenceKernels));
            if (r.batch > 1) c.addProperty("batching", verdict(r.batched));
            c.addProperty("kernel_error", finiteOrNull(r.kernelError));
            c.addProperty("adjoint_error", finiteOrNull(r.adjointError));
            c.addProperty("finite_difference_error", finiteOrNull(r.fdError));
            if (r.batch > 1) c.addProperty("batch_error", finiteOrNull(r.batchError));
            JsonArray n = new JsonArray();
            r.notes.forEach(n::add);
            c.add("notes", n);
            c.addProperty("seconds", r.seconds);
            // from the disk cache of check results (run by an earlier process on this machine), or checked now
            c.addProperty("from_cache", r.fromCache);
            c.addProperty("check_seconds", r.checkSeconds);
            a.add(c);
        }
        b.add("checks", a);
        return b;
    }

    private static String verdict(Boolean v) { return v == null ? "not tested" : v ? "sound" : "failed"; }

    private static Double finiteOrNull(double v) { return Double.isFinite(v) ? v : null; }
}
