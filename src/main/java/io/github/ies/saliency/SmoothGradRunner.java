package io.github.ies.saliency;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.ies.model.Autograd;
import io.github.ies.model.BundleException;
import io.github.ies.model.OutOfMemoryPolicy;
import io.github.ies.model.ProgressListener;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SmoothGrad (max and mean aggregation) for a group of targets that share a context box: N noisy copies, the
 * products of each copy planned as per-cell tasks on a kept graph ({@link VjpScheduler}) or, on a GPU or without a
 * kept graph, as batches of replicated inputs; the copies' maps accumulated into the means (and standard errors).
 */
final class SmoothGradRunner implements SaliencyMethod.Runner {

    private final Session s;

    SmoothGradRunner(Session s) { this.s = s; }

    @Override
    public long steps() { return s.o.samples; }

    /** Shared work split in proportion to each lesion's VJPs per copy. */
    @Override
    public double weight(Target t) { return t.voxels.length + 1; }

    /** Accumulator memory of one target's SmoothGrad box (for the group's memory budget). */
    @Override
    public long bytes(Box box, java.util.Set<SaliencyMethod> methods) {
        int sgMethods = methods.size();
        return (long) box.voxels() * s.channels * sgMethods * (s.o.uncertainty ? 20 : 12) + 4L * box.voxels() * (1 + s.channels * sgMethods);
    }

    /**
     * Batch size for a box: the option; else 1 on the CPU with a kept graph (each extra batch element costs a full
     * forward and backward pass of the crop, and one forward pass already serves every backward pass of a copy:
     * measured faster in every context on the demo, see docs/saliency.md); else (GPU, or no kept graph) from a rough
     * activation-memory estimate, 1 to 8.
     */
    int batchSize(Box box) { return batchSize(s, box); }

    /** See {@link #batchSize(Box)}. */
    static int batchSize(Session s, Box box) {
        if (s.o.batchSize > 0) return s.o.batchSize;
        if (s.o.keepGraph && !s.model.device().isGpu()) return 1;
        long perElement = (long) box.voxels() * 512L;
        return (int) Math.max(1, Math.min(8, s.o.memoryBudgetBytes * 2 / perElement));
    }

    /**
     * SmoothGrad of a group whose targets' maps live on their SmoothGrad boxes inside the context box; progress
     * advances by the group's size per copy.
     */
    @Override
    public void lesions(LesionGroup gr, java.util.Set<SaliencyMethod> methods) {
        run(gr.box, gr.lesionBoxes, gr.x, gr.dims, gr.sigma, gr.targets, gr.out, gr.listener, gr.done, gr.total);
    }

    private void run(Box ctx, List<Box> sgBoxes, float[] x, int[] dims, double sigma, List<Target> group,
            List<LesionMaps> out, ProgressListener listener, long[] done, long total) {
        boolean doMax = s.o.methods.contains(SaliencyMethods.SMOOTHGRAD_MAX);
        boolean doMean = s.o.methods.contains(SaliencyMethods.SMOOTHGRAD_MEAN);
        int g = group.size();
        List<VjpItem> items = new ArrayList<>();
        Box largestBox = sgBoxes.get(0);
        for (int t = 0; t < g; t++) {
            Target tg = group.get(t);
            Box bt = sgBoxes.get(t);
            if (bt.voxels() > largestBox.voxels()) largestBox = bt;
            for (int idx : tg.voxels) {
                int[] p = ContextGeometry.coords(idx, dims);
                if (bt.local(p[0], p[1], p[2]) < 0) throw new IllegalStateException("instance " + tg.id + " is not inside its box " + bt);
            }
            if (doMax) {
                for (int idx : tg.voxels) {
                    int[] p = ContextGeometry.coords(idx, dims);
                    items.add(new VjpItem(t, bt.local(p[0], p[1], p[2])));
                }
            }
            if (doMean) items.add(new VjpItem(t, VjpItem.MEAN));
        }
        Box largest = largestBox;
        SmoothGradAccumulator[][][] acc;
        try {
            acc = OutOfMemoryPolicy.run(Math.min(batchSize(largest), items.size()), batch -> {
                int b = batch > 1 && !batchesSound(x, dims, items, batch, sgBoxes) ? 1 : batch;
                return copies(ctx, sgBoxes, x, dims, sigma, group, items, b, listener, done, total);
            }, () -> true, () -> s.model.device().isGpu(), null, s.log::add, "on a box of " + Arrays.toString(largest.size)).result();
        } catch (BundleException impossible) {
            throw new IllegalStateException(impossible);
        }
        for (int t = 0; t < g; t++) {
            LesionMaps m = out.get(t);
            Box bt = sgBoxes.get(t);
            if (doMax) put(m, SaliencyMethods.SMOOTHGRAD_MAX, acc[0][t], bt, m.smoothGradRegion);
            if (doMean) put(m, SaliencyMethods.SMOOTHGRAD_MEAN, acc[1][t], bt, m.smoothGradRegion);
        }
    }

    /** All N copies of a group with one batch size; returns the accumulators {max, mean} per target and channel. */
    private SmoothGradAccumulator[][][] copies(Box ctx, List<Box> sgBoxes, float[] x, int[] dims, double sigma,
            List<Target> group, List<VjpItem> items, int batch, ProgressListener listener, long[] done, long total) {
        boolean doMax = s.o.methods.contains(SaliencyMethods.SMOOTHGRAD_MAX);
        boolean doMean = s.o.methods.contains(SaliencyMethods.SMOOTHGRAD_MEAN);
        int g = group.size();
        List<VjpScheduler.Task> tasks = batch == 1 && s.o.keepGraph ? VjpScheduler.plan(s.geometry, ctx, sgBoxes, items) : null;
        VjpScheduler.Split split = null;
        if (tasks != null) {
            int w = VjpScheduler.workers(s, VjpScheduler.largest(tasks), items.size());
            split = VjpScheduler.split(tasks, w, VjpScheduler.strategy);
            for (VjpScheduler.Task t : split.pieces) s.guard.ensureSound(t.unit, x, dims, 1);
        }
        SmoothGradAccumulator[][][] acc = new SmoothGradAccumulator[2][g][];
        for (int t = 0; t < g; t++) {
            int nv = sgBoxes.get(t).voxels();
            acc[0][t] = doMax ? new SmoothGradAccumulator[s.channels] : null;
            acc[1][t] = doMean ? new SmoothGradAccumulator[s.channels] : null;
            for (int c = 0; c < s.channels; c++) {
                if (doMax) acc[0][t][c] = new SmoothGradAccumulator(nv, s.o.uncertainty);
                if (doMean) acc[1][t][c] = new SmoothGradAccumulator(nv, s.o.uncertainty);
            }
        }
        long done0 = done[0];
        for (int n = 0; n < s.o.samples; n++) {
            CopyMaps copy = split != null ? byTasks(x, dims, n, sigma, split, group, sgBoxes, listener)
                    : batched(x, dims, n, sigma, items, batch, group, sgBoxes, listener);
            for (int t = 0; t < g; t++) {
                int nv = sgBoxes.get(t).voxels();
                for (int c = 0; c < s.channels; c++) {
                    if (doMax) acc[0][t][c].addCopy(copy.max[t], c * nv);
                    if (doMean) acc[1][t][c].addCopy(copy.mean[t], c * nv);
                }
            }
            done[0] = done0 + (long) (n + 1) * g;
            listener.progress("explain", done[0], total);
        }
        return acc;
    }

    /**
     * The backend self-check of every batch shape the batched path uses for these items (full batches and, without
     * a kept graph, the smaller last one, per SmoothGrad box); also checks batch 1 on each box, the fallback.
     */
    private boolean batchesSound(float[] x, int[] dims, List<VjpItem> items, int batch, List<Box> sgBoxes) {
        Map<Box, Integer> counts = new LinkedHashMap<>();
        for (VjpItem it : items) counts.merge(sgBoxes.get(it.target()), 1, Integer::sum);
        boolean ok = true;
        for (Map.Entry<Box, Integer> e : counts.entrySet()) {
            s.guard.ensureSound(e.getKey(), x, dims, 1);
            int b = Math.min(batch, e.getValue());
            if (b > 1 && !s.guard.ensureSound(e.getKey(), x, dims, b)) ok = false;
            int rest = s.o.keepGraph ? 0 : e.getValue() % b;
            if (ok && rest > 1 && !s.guard.ensureSound(e.getKey(), x, dims, rest)) ok = false;
        }
        return ok;
    }

    private void put(LesionMaps m, SaliencyMethod method, SmoothGradAccumulator[] acc, Box box, Box region) {
        float[][] maps = new float[s.channels][], se = s.o.uncertainty ? new float[s.channels][] : null;
        for (int c = 0; c < s.channels; c++) {
            maps[c] = box.sub(acc[c].mean(), 0, region);
            if (se != null) se[c] = box.sub(acc[c].standardError(), 0, region);
        }
        m.put(method, maps, se, region);
    }

    /**
     * All products of noisy copy n for a group, as per-cell tasks: per target, the copy's max-aggregation map
     * (folded in task order, the first task winning ties) and its mean-aggregation gradient, each {@code [C, sgBox]}.
     */
    private CopyMaps byTasks(float[] x, int[] dims, int n, double sigma, VjpScheduler.Split split,
            List<Target> group, List<Box> sgBoxes, ProgressListener listener) {
        List<VjpScheduler.Task> tasks = split.pieces;
        CopyMaps[] results = VjpScheduler.execute(split,
                (task, l) -> chunk(task.unit, s.noisy(x, dims, n, sigma, task.unit), task.items, group, dims, n, l), listener);
        CopyMaps out = new CopyMaps(group.size());
        for (int i = 0; i < tasks.size(); i++) {
            Box u = tasks.get(i).unit;
            for (int t = 0; t < group.size(); t++) {
                Box bt = sgBoxes.get(t);
                float[] m = results[i].max[t];
                if (m != null) {
                    if (out.max[t] == null) out.max[t] = new float[s.channels * bt.voxels()];
                    foldInto(out.max[t], bt, m, u);
                }
                if (results[i].mean[t] != null) out.mean[t] = results[i].mean[t];
            }
        }
        return out;
    }

    /** Folds a crop {@code [C, unit]} into a crop {@code [C, box]} (unit inside box) by signed abs-max, box winning ties. */
    private void foldInto(float[] acc, Box box, float[] crop, Box unit) {
        int nv = box.voxels(), uv = unit.voxels();
        for (int c = 0; c < s.channels; c++) {
            for (int a = 0; a < unit.size[0]; a++) {
                for (int b = 0; b < unit.size[1]; b++) {
                    int dst = c * nv + box.local(unit.origin[0] + a, unit.origin[1] + b, unit.origin[2]);
                    int src = c * uv + (a * unit.size[1] + b) * unit.size[2];
                    for (int k = 0; k < unit.size[2]; k++) {
                        float v = crop[src + k];
                        if (Math.abs(v) > Math.abs(acc[dst + k])) acc[dst + k] = v;
                    }
                }
            }
        }
    }

    /** Signed abs-max of two maps (a wins ties; null is the identity). */
    private static float[] foldMax(float[] a, float[] b) {
        if (a == null) return b;
        if (b == null) return a;
        for (int i = 0; i < a.length; i++) if (Math.abs(b[i]) > Math.abs(a[i])) a[i] = b[i];
        return a;
    }

    /**
     * One forward pass on {@code box} with the graph kept, then one backward pass per item (a fresh one-hot
     * cotangent per product, or the 1/|L| weights of the mean over the target's voxels), the max aggregation folded
     * on the device: only the folded maps leave it. Returns the maps per target of the group, on {@code box}.
     */
    private CopyMaps chunk(Box box, float[] xn, List<VjpItem> items, List<Target> group, int[] dims, int copy,
            ProgressListener listener) {
        int g = group.size();
        CopyMaps out = new CopyMaps(g);
        if (items.isEmpty()) return out;
        int nv = box.voxels();
        try (Autograd ag = s.guard.autograd(); NDManager scope = s.model.manager().newSubManager()) {
            NDArray in = s.leaf(scope, xn, 1, box);
            in.setRequiresGradient(true);
            NDArray y = s.model.forward(in, true);
            float[] cot = new float[(int) y.getShape().size()];
            NDArray[] runMax = new NDArray[g];
            // per target, the sum of all its gradients on the device: NaN or Inf in any of them shows there
            NDArray[] sums = new NDArray[g];
            for (int i = 0; i < items.size(); i++) {
                listener.checkCancelled();
                VjpItem it = items.get(i);
                boolean more = i + 1 < items.size();
                if (i > 0) ag.zeroGrad(in);
                if (!it.mean()) {
                    // a fresh cotangent array per product, freed with its sub-scope (NDArray.set on a kept native
                    // array keeps a full-size temporary per call alive until the copy ends)
                    cot[s.lesionChannel * nv + it.voxel()] = 1f;
                    try (NDManager m = scope.newSubManager()) {
                        ag.backward(y, s.cotangent(m, cot, y.getShape()), more);
                    }
                    cot[s.lesionChannel * nv + it.voxel()] = 0f;
                    NDArray gr = ag.gradient(in);
                    NDArray sum = gr.sum();
                    if (sums[it.target()] == null) {
                        sums[it.target()] = sum;
                    } else {
                        NDArray next = sums[it.target()].add(sum);
                        sums[it.target()].close();
                        sum.close();
                        sums[it.target()] = next;
                    }
                    NDArray next;
                    if (runMax[it.target()] == null) {
                        next = gr.duplicate();
                    } else {
                        NDArray ga = gr.abs(), ma = runMax[it.target()].abs(), mask = ga.gt(ma);
                        next = NDArrays.where(mask, gr, runMax[it.target()]);
                        ga.close();
                        ma.close();
                        mask.close();
                        runMax[it.target()].close();
                    }
                    gr.close();
                    runMax[it.target()] = next;
                } else {
                    float[] mean = new float[cot.length];
                    Target t = group.get(it.target());
                    float wgt = 1f / t.voxels.length;
                    for (int idx : t.voxels) {
                        int[] p = ContextGeometry.coords(idx, dims);
                        mean[s.lesionChannel * nv + box.local(p[0], p[1], p[2])] = wgt;
                    }
                    try (NDManager m = scope.newSubManager()) {
                        ag.backward(y, s.cotangent(m, mean, y.getShape()), more);
                    }
                    NDArray gr = ag.gradient(in);
                    out.mean[it.target()] = Session.floats(gr);
                    gr.close();
                    s.guard.requireFinite(out.mean[it.target()], t, copy, box);
                }
            }
            for (int t = 0; t < g; t++) {
                if (sums[t] != null && !Double.isFinite(sums[t].toType(DataType.FLOAT64, false).getDouble())) {
                    throw s.guard.nonFinite(group.get(t), copy, box);
                }
                if (runMax[t] != null) out.max[t] = Session.floats(runMax[t]);
            }
        }
        return out;
    }

    /**
     * The batched path (GPU, or without a kept graph), per distinct SmoothGrad box of the group: batches of
     * replicated inputs, one one-hot (or mean) cotangent per element, the max aggregation folded here.
     */
    private CopyMaps batched(float[] x, int[] dims, int n, double sigma, List<VjpItem> items, int batch,
            List<Target> group, List<Box> sgBoxes, ProgressListener listener) {
        CopyMaps out = new CopyMaps(group.size());
        Map<Box, List<VjpItem>> byBox = new LinkedHashMap<>();
        for (VjpItem it : items) byBox.computeIfAbsent(sgBoxes.get(it.target()), b -> new ArrayList<>()).add(it);
        int k = -1;
        for (Map.Entry<Box, List<VjpItem>> e : byBox.entrySet()) {
            Box box = e.getKey();
            List<VjpItem> its = e.getValue();
            int nv = box.voxels();
            float[] xn = s.noisy(x, dims, n, sigma, box);
            NDManager copyScope = s.o.keepGraph ? s.model.manager().newSubManager() : null;
            try (Autograd ag = s.guard.autograd()) {
                NDArray in = null, y = null;
                for (int q0 = 0; q0 < its.size(); q0 += batch) {
                    listener.checkCancelled();
                    int bsz = Math.min(batch, its.size() - q0);
                    try (NDManager m = s.model.manager().newSubManager()) {
                        if (!s.o.keepGraph || in == null) {
                            NDManager fm = s.o.keepGraph ? copyScope : m;
                            in = s.leaf(fm, xn, s.o.keepGraph ? batch : bsz, box);
                            in.setRequiresGradient(true);
                            y = s.model.forward(in, true);
                        } else {
                            ag.zeroGrad(in);
                        }
                        if (k < 0) k = (int) y.getShape().get(1);
                        int elems = (int) y.getShape().get(0);
                        float[] cot = new float[elems * k * nv];
                        for (int q = 0; q < bsz; q++) {
                            VjpItem it = its.get(q0 + q);
                            int base = (q * k + s.lesionChannel) * nv;
                            if (!it.mean()) {
                                cot[base + it.voxel()] = 1f;
                            } else {
                                Target t = group.get(it.target());
                                float w = 1f / t.voxels.length;
                                for (int idx : t.voxels) {
                                    int[] p = ContextGeometry.coords(idx, dims);
                                    cot[base + box.local(p[0], p[1], p[2])] = w;
                                }
                            }
                        }
                        NDArray ct = s.cotangent(m, cot, y.getShape());
                        boolean more = s.o.keepGraph && q0 + batch < its.size();
                        ag.backward(y, ct, more);
                        NDArray gr = ag.gradient(in);
                        float[] grad = Session.floats(gr);
                        gr.close();
                        for (int q = 0; q < bsz; q++) {
                            VjpItem it = its.get(q0 + q);
                            float[] one = Arrays.copyOfRange(grad, q * s.channels * nv, (q + 1) * s.channels * nv);
                            s.guard.requireFinite(one, group.get(it.target()), n, box);
                            if (!it.mean()) out.max[it.target()] = foldMax(out.max[it.target()], one);
                            else out.mean[it.target()] = one;
                        }
                        if (!s.o.keepGraph) {
                            in = null;
                            y = null;
                        }
                    }
                }
            } finally {
                if (copyScope != null) copyScope.close();
            }
        }
        return out;
    }
}
