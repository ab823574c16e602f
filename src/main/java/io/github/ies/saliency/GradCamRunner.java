package io.github.ies.saliency;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.ies.model.Autograd;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Grad-CAM++ (paper eqs. 4-10) on the bundle's feature layer: gradients with respect to the {@code delta} leaf of
 * {@code forward_features}, the maps by {@link GradCamPlusPlus}, trilinearly upsampled to the input grid
 * ({@link Resample}). Instance maps for a group sharing a context box (one forward pass, one backward pass per
 * target), the class map on the whole volume.
 */
final class GradCamRunner implements SaliencyMethod.Runner {

    /** Instance and class Grad-CAM++ share one runner per engine (its feature-layer shapes). */
    static final SaliencyMethod.Computation COMPUTATION = new SaliencyMethod.Computation() {
        @Override
        public SaliencyMethod.Runner start(Session s) { return new GradCamRunner(s); }

        @Override
        public void check(io.github.ies.model.ModelBundle bundle) {
            if (!bundle.features()) {
                throw new IllegalArgumentException(bundle.source() + ": Grad-CAM++ needs a bundle exported with forward_features "
                        + "(\"features\": true in ies-model.json)");
            }
        }
    };

    private final Session s;
    private final Map<List<Integer>, long[]> featureShapes = new HashMap<>();
    private int outputChannels = -1;

    GradCamRunner(Session s) { this.s = s; }

    /** Feature-layer shape {@code [K, a, b, c]} for an input box size (one no-grad probe per size). */
    private long[] featureShape(Box box) {
        List<Integer> key = List.of(box.size[0], box.size[1], box.size[2]);
        long[] f = featureShapes.get(key);
        if (f == null) {
            try (Autograd ag = Autograd.disabled(s.model); NDManager m = s.model.manager().newSubManager()) {
                NDArray z = s.leaf(m, new float[s.channels * box.voxels()], 1, box);
                NDArray d = m.zeros(new Shape(1), s.o.float64 ? DataType.FLOAT64 : DataType.FLOAT32);
                NDList r = s.model.forwardFeatures(z, d, false);
                long[] shape = r.get(1).getShape().getShape();
                f = Arrays.copyOfRange(shape, 1, shape.length);
                if (outputChannels < 0) outputChannels = (int) r.get(0).getShape().get(1);
            }
            if (f.length != 4) throw new IllegalStateException("feature layer output has shape " + Arrays.toString(f) + ", expected [K, a, b, c]");
            featureShapes.put(key, f);
        }
        return f;
    }

    /** Instance Grad-CAM++ of a group (the backend checked on its context box first); progress advances by its size. */
    @Override
    public void lesions(LesionGroup g, java.util.Set<SaliencyMethod> methods) {
        Box box = g.box;
        float[] x = g.x;
        int[] dims = g.dims;
        int gb = Math.min(SmoothGradRunner.batchSize(s, box), g.size());
        s.guard.ensureSound(box, x, dims, 1);
        if (gb > 1 && !s.guard.ensureSound(box, x, dims, gb)) gb = 1;
        int rest = g.size() % Math.max(gb, 1);
        if (gb > 1 && rest > 1 && !s.guard.ensureSound(box, x, dims, rest)) gb = 1;
        instance(box, g.region, box.extract(x, s.channels, dims), g.targets, g.out, dims, gb);
        g.advance(g.size());
    }

    /** Class Grad-CAM++ with the settings' threshold, else the bundle's. */
    @Override
    public float[] volume(SaliencyMethod m, float[] x, int[] dims) {
        return classMap(x, dims, s.o.threshold != null ? s.o.threshold : s.bundle.threshold());
    }

    /**
     * Instance Grad-CAM++ for a group of targets sharing a context box. With {@code batch} 1 and a kept graph: one
     * forward pass, then one backward pass per target (gradients of the {@code delta} leaf zeroed in between);
     * otherwise batches of replicated inputs. Each map is stored on the bounding box of its nonzero voxels.
     */
    void instance(Box box, Box region, float[] clean, List<Target> group, List<LesionMaps> out,
            int[] dims, int batch) {
        long[] fs = featureShape(box);
        int kf = (int) fs[0];
        int[] fdims = {(int) fs[1], (int) fs[2], (int) fs[3]};
        int fv = fdims[0] * fdims[1] * fdims[2];
        int nv = box.voxels();
        int k = outputChannels;
        DataType dt = s.o.float64 ? DataType.FLOAT64 : DataType.FLOAT32;
        if (batch == 1 && s.o.keepGraph) {
            try (Autograd ag = s.guard.autograd(); NDManager m = s.model.manager().newSubManager()) {
                NDArray in = s.leaf(m, clean, 1, box);
                NDArray delta = m.zeros(new Shape(1, kf, fdims[0], fdims[1], fdims[2]), dt);
                delta.setRequiresGradient(true);
                NDList r = s.model.forwardFeatures(in, delta, true);
                NDArray y = r.get(0);
                float[] a = Session.floats(r.get(1));
                s.featureSigns.add(a, 0, a.length);
                for (int i = 0; i < group.size(); i++) {
                    if (i > 0) ag.zeroGrad(delta);
                    float[] cot = new float[k * nv];
                    for (int idx : group.get(i).voxels) {
                        int[] p = ContextGeometry.coords(idx, dims);
                        cot[s.lesionChannel * nv + box.local(p[0], p[1], p[2])] = 1f;
                    }
                    try (NDManager mc = m.newSubManager()) {
                        ag.backward(y, s.cotangent(mc, cot, y.getShape()), i + 1 < group.size());
                    }
                    NDArray gr = ag.gradient(delta);
                    float[] g = Session.floats(gr);
                    gr.close();
                    s.guard.requireFinite(g, group.get(i), -1, box);
                    store(out.get(i), GradCamPlusPlus.instanceMap(a, g, kf, fv), fdims, box, region);
                }
            }
            return;
        }
        for (int i = 0; i < group.size(); i += batch) {
            int bsz = Math.min(batch, group.size() - i);
            try (Autograd ag = s.guard.autograd(); NDManager m = s.model.manager().newSubManager()) {
                NDArray in = s.leaf(m, clean, bsz, box);
                NDArray delta = m.zeros(new Shape(bsz, kf, fdims[0], fdims[1], fdims[2]), dt);
                delta.setRequiresGradient(true);
                NDList r = s.model.forwardFeatures(in, delta, true);
                NDArray y = r.get(0);
                float[] cot = new float[bsz * k * nv];
                for (int e = 0; e < bsz; e++) {
                    int base = (e * k + s.lesionChannel) * nv;
                    for (int idx : group.get(i + e).voxels) {
                        int[] p = ContextGeometry.coords(idx, dims);
                        cot[base + box.local(p[0], p[1], p[2])] = 1f;
                    }
                }
                ag.backward(y, s.cotangent(m, cot, y.getShape()), false);
                float[] a = Session.floats(r.get(1));
                if (i == 0) s.featureSigns.add(a, 0, kf * fv);   // the context once (the batch replicates it)
                float[] g = Session.floats(ag.gradient(delta));
                for (int e = 0; e < bsz; e++) {
                    float[] ae = Arrays.copyOfRange(a, e * kf * fv, (e + 1) * kf * fv);
                    float[] ge = Arrays.copyOfRange(g, e * kf * fv, (e + 1) * kf * fv);
                    s.guard.requireFinite(ge, group.get(i + e), -1, box);
                    store(out.get(i + e), GradCamPlusPlus.instanceMap(ae, ge, kf, fv), fdims, box, region);
                }
            }
        }
    }

    /** Upsamples a layer map to the box and stores it on the bounding box of its nonzero voxels inside region. */
    private static void store(LesionMaps m, float[] map, int[] fdims, Box box, Box region) {
        float[] up = Arrays.equals(fdims, box.size) ? map : Resample.trilinear(map, fdims, box.size);
        int[] lo = {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE}, hi = {-1, -1, -1};
        for (int a = 0; a < region.size[0]; a++)
            for (int b = 0; b < region.size[1]; b++)
                for (int c = 0; c < region.size[2]; c++) {
                    int[] p = {region.origin[0] + a, region.origin[1] + b, region.origin[2] + c};
                    if (up[box.local(p[0], p[1], p[2])] == 0f) continue;
                    for (int d = 0; d < 3; d++) {
                        lo[d] = Math.min(lo[d], p[d]);
                        hi[d] = Math.max(hi[d], p[d]);
                    }
                }
        Box crop = hi[0] < 0 ? new Box(region.origin, new int[] {1, 1, 1})
                : new Box(lo, new int[] {hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1});
        m.put(SaliencyMethods.GRADCAMPP, new float[][] {box.sub(up, 0, crop)}, null, crop);
    }

    /**
     * Class-level Grad-CAM++ (eqs. 4-7) over the whole volume (padded by the least the network needs): Y = sum of
     * the lesion-class logits of the voxels whose probability (the bundle's activation) exceeds {@code threshold}.
     * A C-order map on {@code dims}, all zero when no voxel exceeds the threshold.
     */
    float[] classMap(float[] x, int[] dims, double threshold) {
        Box box = s.geometry.wholeVolume(dims);
        int[] size = box.size;
        Box region = box.clip(dims);
        long[] fs = featureShape(box);
        int kf = (int) fs[0];
        int[] fdims = {(int) fs[1], (int) fs[2], (int) fs[3]};
        int fv = fdims[0] * fdims[1] * fdims[2];
        int nv = box.voxels();
        s.guard.ensureSound(box, x, dims, 1);
        try (Autograd ag = s.guard.autograd(); NDManager m = s.model.manager().newSubManager()) {
            NDArray in = s.leaf(m, box.extract(x, s.channels, dims), 1, box);
            NDArray delta = m.zeros(new Shape(1, kf, fdims[0], fdims[1], fdims[2]), s.o.float64 ? DataType.FLOAT64 : DataType.FLOAT32);
            delta.setRequiresGradient(true);
            NDList r = s.model.forwardFeatures(in, delta, true);
            NDArray y = r.get(0);
            int k = (int) y.getShape().get(1);
            float[] logits = Session.floats(y);
            float[] prob = s.bundle.activation().lesionProbability(logits, k, s.lesionChannel);
            float[] cot = new float[k * nv];
            int above = 0;
            for (int a = 0; a < region.size[0]; a++) {
                for (int b = 0; b < region.size[1]; b++) {
                    for (int c = 0; c < region.size[2]; c++) {
                        int v = (a * size[1] + b) * size[2] + c;
                        if (prob[v] > threshold) {
                            cot[s.lesionChannel * nv + v] = 1f;
                            above++;
                        }
                    }
                }
            }
            if (above == 0) return new float[dims[0] * dims[1] * dims[2]];
            ag.backward(y, s.cotangent(m, cot, y.getShape()), false);
            float[] g = Session.floats(ag.gradient(delta));
            for (float v : g) {
                if (!Float.isFinite(v)) {
                    throw new GradientException("class Grad-CAM++: the gradient has NaN or Inf values (input " + Arrays.toString(size)
                            + ", " + s.guard.kernels().key + " kernels, model " + s.bundle.name() + "); no map is written");
                }
            }
            float[] a = Session.floats(r.get(1));
            s.featureSigns.add(a, 0, a.length);
            float[] map = GradCamPlusPlus.classMap(a, g, kf, fv);
            float[] up = Arrays.equals(fdims, size) ? map : Resample.trilinear(map, fdims, size);
            return box.sub(up, 0, region);
        }
    }
}
