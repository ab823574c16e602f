package io.github.ies.saliency;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.TorchModel;

import java.util.List;

/**
 * What the parts of one {@link SaliencyEngine} share: the model and its bundle, the options, the geometry of the
 * network and its contexts, the backend guard, the noise and the log; plus the array helpers every part needs.
 */
final class Session {

    final TorchModel model;
    final ModelBundle bundle;
    final SaliencySettings o;
    final int channels;
    final int lesionChannel;
    final ContextGeometry geometry;
    final BackendGuard guard;
    final List<String> log;
    /** The signs of the feature layer's activations over this engine's Grad-CAM++ forward passes. */
    final ActivationSigns featureSigns = new ActivationSigns();
    NoiseSource noise;

    Session(TorchModel model, SaliencySettings o, ContextGeometry geometry, List<String> log) {
        this.model = model;
        this.bundle = model.bundle();
        this.o = o;
        this.channels = bundle.inputCount();
        this.lesionChannel = bundle.lesionChannel();
        this.geometry = geometry;
        this.log = log;
        this.noise = NoiseSource.seeded(o.seed);
        this.guard = new BackendGuard(this);
    }

    /** A leaf input {@code [batch, C, box]} of {@code batch} copies of a crop, in the engine's precision. */
    NDArray leaf(NDManager m, float[] crop, int batch, Box box) {
        return model.input(m, crop, batch, box.size, o.float64);
    }

    /** A cotangent of the given shape, in the engine's precision. */
    NDArray cotangent(NDManager m, float[] cot, Shape shape) {
        NDArray a = m.create(cot, shape);
        if (o.float64) a = a.toType(DataType.FLOAT64, false);
        return a;
    }

    static float[] floats(NDArray a) {
        return a.getDataType() == DataType.FLOAT32 ? a.toFloatArray() : a.toType(DataType.FLOAT32, false).toFloatArray();
    }

    /** sigma = noise_level x (max - min) of the first channel of {@code x [C, dims]}. */
    double sigma(float[] x, int[] dims) {
        int n = dims[0] * dims[1] * dims[2];
        double mn = Double.POSITIVE_INFINITY, mx = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            mn = Math.min(mn, x[i]);
            mx = Math.max(mx, x[i]);
        }
        return o.noiseLevel * (mx - mn);
    }

    /** The noisy copy n of the input on a box: x + sigma e_n ({@code [C, box]}, zero outside the volume). */
    float[] noisy(float[] x, int[] dims, int n, double sigma, Box box) {
        float[] clean = box.extract(x, channels, dims);
        if (sigma <= 0) return clean;
        float[] e = noise.standardNormal(n, box, channels, dims);
        for (int i = 0; i < clean.length; i++) clean[i] = (float) (clean[i] + sigma * e[i]);
        return clean;
    }
}
