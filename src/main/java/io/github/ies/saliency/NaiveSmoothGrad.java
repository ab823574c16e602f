package io.github.ies.saliency;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.ies.model.Autograd;
import io.github.ies.model.TorchModel;

/**
 * The authors' SmoothGrad max-aggregation algorithm, as a baseline and a reference: for each noisy copy one
 * whole-volume forward pass (batch 1), then one backward pass per lesion voxel with a one-hot cotangent (graph kept),
 * the signed abs-max folded voxel by voxel. Same noise and sigma rule as {@link SaliencyEngine}; whole volume
 * zero-padded at the high end to the engine's alignment. Returns the maps {@code [C][dims]} (C order).
 */
public final class NaiveSmoothGrad {

    private NaiveSmoothGrad() {}

    public static float[][] maxAggregation(SaliencyEngine engine, TorchModel model, float[] x, int[] dims,
            Target target) {
        return run(engine, model, x, dims, target, NoiseSource.seeded(engine.settings().seed));
    }

    static float[][] run(SaliencyEngine engine, TorchModel model, float[] x, int[] dims, Target target,
            NoiseSource noise) {
        SaliencySettings o = engine.settings();
        int channels = model.bundle().inputCount();
        int lesion = model.bundle().lesionChannel();
        Box box = wholeVolume(engine, dims);
        int[] size = box.size();
        Box region = box.clip(dims);
        int nv = box.voxels();
        double sigma = engine.sigma(x, dims);
        float[] clean = box.extract(x, channels, dims);
        double[][] sum = new double[channels][nv];
        float[][] copyMax = new float[channels][nv];
        engine.ensureSound(box, x, dims, 1);
        try (Autograd ag = Autograd.open(model, true, engine.kernels().oneDnn())) {
            for (int n = 0; n < o.samples; n++) {
                float[] xn = clean.clone();
                if (sigma > 0) {
                    float[] e = noise.standardNormal(n, box, channels, dims);
                    for (int i = 0; i < xn.length; i++) xn[i] = (float) (clean[i] + sigma * e[i]);
                }
                try (NDManager m = model.manager().newSubManager()) {
                    NDArray in = m.create(xn, new Shape(1, channels, size[0], size[1], size[2]));
                    if (o.float64) in = in.toType(DataType.FLOAT64, false);
                    in.setRequiresGradient(true);
                    NDArray y = model.forward(in, true);
                    for (int v = 0; v < target.voxels.length; v++) {
                        int idx = target.voxels[v];
                        int k = idx % dims[2], j = (idx / dims[2]) % dims[1], i = idx / (dims[1] * dims[2]);
                        try (NDManager mv = m.newSubManager()) {
                            float[] cot = new float[(int) y.getShape().size()];
                            cot[lesion * nv + box.local(i, j, k)] = 1f;
                            NDArray ct = mv.create(cot, y.getShape());
                            if (o.float64) ct = ct.toType(DataType.FLOAT64, false);
                            if (v > 0) ag.zeroGrad(in);
                            ag.backward(y, ct, v + 1 < target.voxels.length);
                            NDArray gr = ag.gradient(in);
                            float[] g = gr.toType(DataType.FLOAT32, false).toFloatArray();
                            gr.close();
                            for (int c = 0; c < channels; c++) {
                                for (int q = 0; q < nv; q++) {
                                    float val = g[c * nv + q];
                                    if (v == 0 || Math.abs(val) > Math.abs(copyMax[c][q])) copyMax[c][q] = val;
                                }
                            }
                        }
                    }
                }
                for (int c = 0; c < channels; c++) for (int q = 0; q < nv; q++) sum[c][q] += copyMax[c][q];
            }
        }
        float[][] out = new float[channels][];
        for (int c = 0; c < channels; c++) {
            float[] mean = new float[nv];
            for (int q = 0; q < nv; q++) mean[q] = (float) (sum[c][q] / o.samples);
            out[c] = box.sub(mean, 0, region);
        }
        return out;
    }

    /**
     * Seconds of the naive algorithm's passes on the whole (padded) volume: {one forward pass with the graph kept,
     * the mean of {@code backwards} one-hot backward passes (gradient copied out as the loop does)}; the naive time
     * per lesion is then N x (forward + |L| x backward). For configurations too slow to run the loop itself.
     */
    public static double[] passSeconds(SaliencyEngine engine, TorchModel model, float[] x, int[] dims, Target target,
            int backwards) {
        int channels = model.bundle().inputCount();
        int lesion = model.bundle().lesionChannel();
        Box box = wholeVolume(engine, dims);
        int[] size = box.size();
        int nv = box.voxels();
        float[] clean = box.extract(x, channels, dims);
        try (Autograd ag = Autograd.open(model, true, engine.kernels().oneDnn()); NDManager m = model.manager().newSubManager()) {
            long t0 = System.nanoTime();
            NDArray in = m.create(clean, new Shape(1, channels, size[0], size[1], size[2]));
            in.setRequiresGradient(true);
            NDArray y = model.forward(in, true);
            double forward = (System.nanoTime() - t0) / 1e9;
            int n = Math.min(backwards, target.voxels.length);
            long t1 = System.nanoTime();
            for (int v = 0; v < n; v++) {
                int idx = target.voxels[v];
                int k = idx % dims[2], j = (idx / dims[2]) % dims[1], i = idx / (dims[1] * dims[2]);
                try (NDManager mv = m.newSubManager()) {
                    float[] cot = new float[(int) y.getShape().size()];
                    cot[lesion * nv + box.local(i, j, k)] = 1f;
                    if (v > 0) ag.zeroGrad(in);
                    ag.backward(y, mv.create(cot, y.getShape()), v + 1 < n);
                    NDArray gr = ag.gradient(in);
                    gr.toFloatArray();
                    gr.close();
                }
            }
            return new double[] {forward, (System.nanoTime() - t1) / 1e9 / Math.max(1, n)};
        }
    }

    /** The whole volume, zero-padded at the high end by the least the network needs (as the {@code full} context). */
    private static Box wholeVolume(SaliencyEngine engine, int[] dims) {
        int[] pad = engine.fullPadding(dims);
        return new Box(new int[3], new int[] {dims[0] + pad[0], dims[1] + pad[1], dims[2] + pad[2]});
    }
}
