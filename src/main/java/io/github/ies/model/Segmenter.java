package io.github.ies.model;

import io.github.ies.request.InvalidRequest;

import ai.djl.Device;
import io.github.ies.io.NonFinite;
import io.github.ies.io.Volume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Segments volumes with a model bundle: normalisation, sliding-window inference (MONAI's rule, see
 * {@link SlidingWindow}), activation, threshold. One instance holds the loaded model; {@link #segment} may be
 * called repeatedly. Out-of-memory on a GPU: the batch of patches is halved and retried, and at one patch per
 * batch the model moves to the CPU (with a warning in the log and in {@link SegmentationResult#warnings()}).
 */
public final class Segmenter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Segmenter.class);

    /** Run options. */
    public static final class Options {
        public static final int DEFAULT_BATCH_SIZE = 4;
        /** auto, cpu, gpu or gpu:N. */
        public String device = DeviceSpec.DEFAULT;
        /** CPU threads; 0 or less: all cores. */
        public int threads = 0;
        /** Patches per network call (MONAI's sw_batch_size). */
        public int batchSize = DEFAULT_BATCH_SIZE;
        /** Overrides the bundle's threshold when not null. */
        public Double threshold = null;
        /**
         * NaN or infinite values in the inputs or in the model's output: an error (the default), or set to 0 (inputs)
         * and to probability 0 (output) with a warning giving the count and the channel.
         */
        public NonFinite.Policy nonFinite = NonFinite.Policy.ERROR;

        /** The one check of these options, for every interface, before any work. @throws InvalidRequest naming the setting */
        public Options validate() {
            if (batchSize < 1) throw new InvalidRequest("{batch_size} must be >= 1, got " + batchSize);
            checkThreshold(threshold);
            DeviceSpec.parse(device);
            return this;
        }
    }

    private final ModelBundle bundle;
    private final Options options;
    private final List<String> warnings = new ArrayList<>();
    private TorchModel model;
    private int batchSize;
    private final double loadSeconds;

    /**
     * The one check of a segmentation threshold option, for every interface: null (the bundle's) or in [0, 1].
     *
     * @throws InvalidRequest "{threshold} must be in [0, 1], got ..."
     */
    public static Double checkThreshold(Double threshold) {
        if (threshold != null && !(threshold >= 0 && threshold <= 1)) {
            throw new InvalidRequest("{threshold} must be in [0, 1], got " + threshold);
        }
        return threshold;
    }

    /** Loads the bundle's model on the requested device and runs the test forward pass. */
    public Segmenter(ModelBundle bundle, Options options) throws BundleException {
        this.bundle = bundle;
        this.options = options;
        DeviceSpec spec = DeviceSpec.parse(options.validate().device);
        long t0 = System.nanoTime();
        TorchRuntime.configure(options.threads);
        Device device = spec.resolve();
        LOG.info("device " + spec + " -> " + DeviceSpec.describe(device) + " (PyTorch " + TorchRuntime.pytorchVersion()
                + ", " + TorchRuntime.threads() + " CPU threads)");
        this.model = TorchModel.load(bundle, device, false);
        try {
            model.check();
        } catch (BundleException e) {
            model.close();
            throw e;
        }
        this.batchSize = options.batchSize;
        this.loadSeconds = (System.nanoTime() - t0) / 1e9;
    }

    public ModelBundle bundle() { return bundle; }
    public TorchModel model() { return model; }
    /** Current device ({@code cpu} or {@code gpu:N}). */
    public String device() { return DeviceSpec.describe(model.device()); }
    public double loadSeconds() { return loadSeconds; }

    /**
     * Orders named inputs as the bundle's {@code inputs}, matching names case-insensitively, and checks that all
     * share dims and affine. {@code sources} (optional, same keys) names where each came from, for messages.
     */
    public static Volume[] matchInputs(ModelBundle bundle, Map<String, Volume> named, Map<String, String> sources) {
        Volume[] out = new Volume[bundle.inputCount()];
        String[] from = new String[out.length];
        for (Map.Entry<String, Volume> e : named.entrySet()) {
            int i = bundle.inputIndex(e.getKey());
            if (i < 0) {
                throw new IllegalArgumentException("input channel '" + e.getKey() + "' is not one of the model's inputs "
                        + bundle.inputs() + " (names match case-insensitively)");
            }
            if (out[i] != null) throw new IllegalArgumentException("input channel '" + bundle.inputs().get(i) + "' given twice");
            out[i] = e.getValue();
            from[i] = sources != null && sources.get(e.getKey()) != null ? sources.get(e.getKey()) : e.getKey();
        }
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < out.length; i++) if (out[i] == null) missing.add(bundle.inputs().get(i));
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("missing input channel(s) " + missing + "; the model needs " + bundle.inputs()
                    + " (give --input NAME=FILE for each)");
        }
        for (int i = 1; i < out.length; i++) {
            if (!Arrays.equals(out[i].dims(), out[0].dims())) {
                throw new IllegalArgumentException("inputs differ in dims: " + bundle.inputs().get(0) + " (" + from[0] + ") is "
                        + Arrays.toString(out[0].dims()) + ", " + bundle.inputs().get(i) + " (" + from[i] + ") is "
                        + Arrays.toString(out[i].dims()));
            }
            if (!out[i].sameGrid(out[0])) {
                throw new IllegalArgumentException("inputs differ in affine: " + bundle.inputs().get(0) + " (" + from[0] + ") has "
                        + affineText(out[0]) + ", " + bundle.inputs().get(i) + " (" + from[i] + ") has " + affineText(out[i]));
            }
        }
        return out;
    }

    static String affineText(Volume v) {
        StringBuilder sb = new StringBuilder("[");
        double[][] a = v.affine();
        for (int r = 0; r < 3; r++) {
            if (r > 0) sb.append("; ");
            for (int c = 0; c < 4; c++) sb.append(c > 0 ? " " : "").append(String.format(Locale.ROOT, "%.4g", a[r][c]));
        }
        return sb.append("]").toString();
    }

    /**
     * The bundle's normalisation applied to each channel ({@link ChannelNormalization#normalize}: one entry per
     * channel), stacked as {@code [C, i, j, k]} (C order).
     */
    public static float[] normalize(ModelBundle bundle, Volume... channels) {
        return Volume.toTensorLayout(ChannelNormalization.normalize(bundle.normalizations(), channels));
    }

    /**
     * Segments one subject. {@code channels} in the bundle's input order (see {@link #matchInputs});
     * {@code brainMask} (optional, same grid) zeroes probability and mask outside it.
     */
    public SegmentationResult segment(Volume[] channels, Volume brainMask, ProgressListener progress) throws Exception {
        ProgressListener listener = progress == null ? ProgressListener.NONE : progress;
        if (channels.length != bundle.inputCount()) {
            throw new IllegalArgumentException("the model needs " + bundle.inputCount() + " input channels " + bundle.inputs()
                    + ", got " + channels.length);
        }
        int[] dims = channels[0].dims();
        if (brainMask != null) Volume.requireOnGrid(brainMask, "the brain mask", channels[0], "the first input channel");
        Map<String, Double> timings = new LinkedHashMap<>();
        timings.put("load_model", loadSeconds);
        long t0 = System.nanoTime();
        for (int c = 0; c < channels.length; c++) {
            NonFinite.Count nc = NonFinite.count(channels[c].data());
            if (nc.total() == 0) continue;
            if (options.nonFinite != NonFinite.Policy.ZERO) NonFinite.check(channels[c], "input " + bundle.inputs().get(c), options.nonFinite);
            Volume copy = channels[c].copy();
            warn(NonFinite.check(copy, "input " + bundle.inputs().get(c), NonFinite.Policy.ZERO));
            channels = channels.clone();
            channels[c] = copy;
        }
        float[] x = normalize(bundle, channels);
        long t1 = System.nanoTime();
        timings.put("normalize", (t1 - t0) / 1e9);
        listener.checkCancelled();

        SlidingWindow sw = new SlidingWindow(bundle.patchSize(), bundle.overlap(), bundle.blending());
        int[] p = bundle.patchSize();
        int cin = bundle.inputCount();
        int patchLen = cin * p[0] * p[1] * p[2];
        AdaptiveBatcher batcher = new AdaptiveBatcher(new AdaptiveBatcher.Runner() {
            @Override
            public float[] run(float[] batch, int b) {
                return model.forward(batch, new long[] {b, cin, p[0], p[1], p[2]});
            }
            @Override
            public boolean onGpu() { return model.device().isGpu(); }
            @Override
            public void fallBackToCpu() throws BundleException {
                Autograd.emptyGpuCache();
                model.close();
                model = TorchModel.load(bundle, Device.cpu(), false);
                model.check();
            }
        }, batchSize, this::warn);
        SlidingWindow.Output out = sw.run(x, cin, dims, (batch, b) -> batcher.predict(batch, b, patchLen), batchSize, listener);
        batchSize = batcher.batchSize();
        long t2 = System.nanoTime();
        timings.put("inference", (t2 - t1) / 1e9);

        checkOutput(out.values, out.channels, dims);
        float[] prob = bundle.activation().lesionProbability(out.values, out.channels, bundle.lesionChannel());
        NonFinite.zero(prob, 0, prob.length);       // only where checkOutput allowed non-finite logits
        double thr = options.threshold != null ? options.threshold : bundle.threshold();
        Volume probability = Volume.fromTensorLayout(prob, 0, dims, channels[0].geometry());
        Volume mask = probability.zerosLike();
        float[] pd = probability.data(), md = mask.data();
        float[] bm = brainMask == null ? null : brainMask.data();
        for (int i = 0; i < pd.length; i++) {
            if (bm != null && bm[i] == 0) pd[i] = 0f;
            md[i] = pd[i] > thr ? 1f : 0f;
        }
        timings.put("postprocess", (System.nanoTime() - t2) / 1e9);
        return new SegmentationResult(bundle, probability, mask, thr, x, device(), out.windows, batchSize, out.channels,
                timings, warnings);
    }

    /**
     * The model's blended output {@code [K, n]}: non-finite values are an error, or (policy zero) warned about per
     * output channel; the probability is then set to 0 where they are.
     */
    private void checkOutput(float[] logits, int k, int[] dims) {
        int n = logits.length / k;
        List<String> parts = new ArrayList<>();
        for (int c = 0; c < k; c++) {
            NonFinite.Count nc = NonFinite.count(logits, c * n, (c + 1) * n);
            if (nc.total() > 0) {
                parts.add("output channel " + c + (c == bundle.lesionChannel() ? " (the lesion channel)" : "") + ": " + nc.describe()
                        + " of " + n + " voxels");
            }
        }
        if (parts.isEmpty()) return;
        String what = "the model " + bundle.name() + " returned non-finite values for finite inputs (" + String.join("; ", parts) + ")";
        if (options.nonFinite != NonFinite.Policy.ZERO) {
            throw new NonFinite.NonFiniteException(what + "; the model or these inputs are broken (check the model's weights and the"
                    + " input intensities), or treat them as background with the non-finite policy 'zero' (--non-finite zero)");
        }
        warn(what + "; their lesion probability is set to 0 (--non-finite zero)");
    }

    private void warn(String msg) {
        warnings.add(msg);
        LOG.warn(msg);
    }

    @Override
    public void close() {
        model.close();
    }
}
