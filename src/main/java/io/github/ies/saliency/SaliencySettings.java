package io.github.ies.saliency;

import io.github.ies.request.InvalidRequest;

import java.util.Collections;
import java.util.Set;

/**
 * The saliency parameters, immutable: built with {@link #builder()} and checked by one {@link Builder#build()
 * validate} step. The command line and the Fiji commands only map their inputs onto a builder (with
 * {@link SaliencyMethods#parseList} and {@link SaliencyContext#parse}); the engine reads the fields.
 */
public final class SaliencySettings {

    /** Largest SmoothGrad crop for which the automatic rule runs one single-threaded worker per PyTorch thread. */
    public static final int WORKER_CROP_VOXELS = 96 * 96 * 96;

    /** The defaults of every interface (the command line's options and Fiji's fields refer to these). */
    public static final int DEFAULT_SAMPLES = 50;
    public static final double DEFAULT_NOISE_LEVEL = 0.05;
    public static final long DEFAULT_SEED = 1;
    public static final int DEFAULT_MARGIN = 8;
    public static final int DEFAULT_LOCAL_MARGIN = 16;
    public static final int DEFAULT_BATCH_SIZE = 0;
    public static final int DEFAULT_WORKERS = 0;

    /** The selected methods, in registry order ({@link SaliencyMethods}). */
    public final Set<SaliencyMethod> methods;
    /** N, the number of noisy copies. */
    public final int samples;
    /** Noise sigma = noiseLevel x (max - min) of the first normalised channel; 0: plain gradients. */
    public final double noiseLevel;
    public final long seed;
    public final SaliencyContext context;
    /** Voxels added on each side of the lesion's bounding box in the {@code patch} context. */
    public final int margin;
    /** Voxels added on each side of the lesion's bounding box in the {@code local} context. */
    public final int localMargin;
    /** VJPs per backward pass (replicated batch); 0: chosen from the context size. */
    public final int batchSize;
    /** One forward pass per noisy copy for all its backward passes (else one forward pass per batch). */
    public final boolean keepGraph;
    /** Also the per-voxel standard error of the SmoothGrad maps over the copies. */
    public final boolean uncertainty;
    /** Threshold for class-level Grad-CAM++; null: the bundle's. */
    public final Double threshold;
    /** Run the network in float64 (the model must be a float64 TorchScript module; for tests). */
    public final boolean float64;
    /** Memory for the SmoothGrad accumulators of lesions that share a context, and the batch-size heuristic. */
    public final long memoryBudgetBytes;
    /**
     * Compute SmoothGrad on the lesion's receptive-field box inside the context (identical results, see
     * {@link SaliencyEngine#smoothGradBox}); false runs the whole context box (for benchmarks and checks).
     */
    public final boolean receptiveFieldCrop;
    /**
     * Before explaining, check the receptive-field box on the data ({@link ReceptiveFieldCheck}); a failure warns
     * and runs SmoothGrad on whole context boxes.
     */
    public final boolean checkReceptiveField;
    /**
     * Parallel workers for the VJPs of one noisy copy on the CPU, each with its own forward pass and one PyTorch
     * thread; 0: automatic (the PyTorch thread count for crops up to {@link #WORKER_CROP_VOXELS} voxels, else 1).
     */
    public final int workers;
    /**
     * Check the gradient backend on every input shape before using it ({@link io.github.ies.model.GradientCheck}):
     * the kernels and batching it proves sound are used, and a shape with no sound kernels stops the run. Off only in
     * benchmarks that measure the check itself.
     */
    public final boolean backendCheck;
    /**
     * Run the backend self-check again even where the disk cache of check results holds this machine's verdict
     * ({@link io.github.ies.model.BackendCheckCache}), and store the new one.
     */
    public final boolean recheck;

    private SaliencySettings(Builder b) {
        this.methods = Collections.unmodifiableSet(SaliencyMethods.sorted(b.methods));
        this.samples = b.samples;
        this.noiseLevel = b.noiseLevel;
        this.seed = b.seed;
        this.context = b.context;
        this.margin = b.margin;
        this.localMargin = b.localMargin;
        this.batchSize = b.batchSize;
        this.keepGraph = b.keepGraph;
        this.uncertainty = b.uncertainty;
        this.threshold = b.threshold;
        this.float64 = b.float64;
        this.memoryBudgetBytes = b.memoryBudgetBytes;
        this.receptiveFieldCrop = b.receptiveFieldCrop;
        this.checkReceptiveField = b.checkReceptiveField;
        this.workers = b.workers;
        this.backendCheck = b.backendCheck;
        this.recheck = b.recheck;
    }

    /** The defaults: all registered methods, N = 50, noise level 0.05, seed 1, the {@code patch} context. */
    public static Builder builder() { return new Builder(); }

    /** A builder holding these settings. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.methods = SaliencyMethods.sorted(methods);
        b.samples = samples;
        b.noiseLevel = noiseLevel;
        b.seed = seed;
        b.context = context;
        b.margin = margin;
        b.localMargin = localMargin;
        b.batchSize = batchSize;
        b.keepGraph = keepGraph;
        b.uncertainty = uncertainty;
        b.threshold = threshold;
        b.float64 = float64;
        b.memoryBudgetBytes = memoryBudgetBytes;
        b.receptiveFieldCrop = receptiveFieldCrop;
        b.checkReceptiveField = checkReceptiveField;
        b.workers = workers;
        b.backendCheck = backendCheck;
        b.recheck = recheck;
        return b;
    }

    /** Whether a selected method makes per-channel (input-gradient) maps, computed on the lesions' receptive-field boxes. */
    public boolean perChannel() {
        for (SaliencyMethod m : methods) if (m.kind == SaliencyMethod.Kind.PER_CHANNEL) return true;
        return false;
    }

    /** Mutable settings; {@link #build()} validates them. */
    public static final class Builder {
        private Set<SaliencyMethod> methods = SaliencyMethods.sorted(SaliencyMethods.all());
        private int samples = DEFAULT_SAMPLES;
        private double noiseLevel = DEFAULT_NOISE_LEVEL;
        private long seed = DEFAULT_SEED;
        private SaliencyContext context = SaliencyContext.DEFAULT;
        private int margin = DEFAULT_MARGIN;
        private int localMargin = DEFAULT_LOCAL_MARGIN;
        private int batchSize = DEFAULT_BATCH_SIZE;
        private boolean keepGraph = true;
        private boolean uncertainty = false;
        private Double threshold = null;
        private boolean float64 = false;
        private long memoryBudgetBytes = 1L << 30;
        private boolean receptiveFieldCrop = true;
        private boolean checkReceptiveField = true;
        private int workers = DEFAULT_WORKERS;
        private boolean backendCheck = true;
        private boolean recheck = false;

        private Builder() {}

        public Builder methods(Set<SaliencyMethod> v) { methods = SaliencyMethods.sorted(v); return this; }
        public Builder methods(SaliencyMethod first, SaliencyMethod... rest) {
            Set<SaliencyMethod> v = SaliencyMethods.sorted(java.util.List.of(rest));
            v.add(first);
            return methods(v);
        }
        public Builder samples(int v) { samples = v; return this; }
        public Builder noiseLevel(double v) { noiseLevel = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder context(SaliencyContext v) { context = v; return this; }
        public Builder margin(int v) { margin = v; return this; }
        public Builder localMargin(int v) { localMargin = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder keepGraph(boolean v) { keepGraph = v; return this; }
        public Builder uncertainty(boolean v) { uncertainty = v; return this; }
        public Builder threshold(Double v) { threshold = v; return this; }
        public Builder float64(boolean v) { float64 = v; return this; }
        public Builder memoryBudgetBytes(long v) { memoryBudgetBytes = v; return this; }
        public Builder receptiveFieldCrop(boolean v) { receptiveFieldCrop = v; return this; }
        public Builder checkReceptiveField(boolean v) { checkReceptiveField = v; return this; }
        public Builder workers(int v) { workers = v; return this; }
        public Builder backendCheck(boolean v) { backendCheck = v; return this; }
        public Builder recheck(boolean v) { recheck = v; return this; }

        /**
         * The one validation of the saliency parameters; its messages name the settings by key, which each front-end
         * renders as it names them.
         *
         * @throws InvalidRequest naming the parameter, its value and what it must be
         */
        public SaliencySettings build() {
            if (methods.isEmpty()) throw new InvalidRequest("{methods}: no method selected (" + SaliencyMethods.keys() + ")");
            for (SaliencyMethod m : methods) {
                if (SaliencyMethods.fromKey(m.key) != m) throw new InvalidRequest("{methods}: " + m.key + " is not registered (" + SaliencyMethods.keys() + ")");
            }
            if (samples < 1) throw new InvalidRequest("{samples} must be >= 1, got " + samples);
            if (!(noiseLevel >= 0) || Double.isInfinite(noiseLevel)) throw new InvalidRequest("{noise_level} must be >= 0, got " + noiseLevel);
            if (context == null) throw new InvalidRequest("{context} must be patch, full or local");
            if (margin < 0 || localMargin < 0) throw new InvalidRequest("{margin} and {local_margin} must be >= 0, got " + margin + " and " + localMargin);
            if (batchSize < 0) throw new InvalidRequest("{batch_size} must be >= 0 (0: automatic), got " + batchSize);
            if (workers < 0) throw new InvalidRequest("{workers} must be >= 0 (0: automatic), got " + workers);
            if (recheck && !backendCheck) throw new InvalidRequest("{recheck} asks for the backend check that {no_backend_check} skips");
            if (threshold != null && !(threshold >= 0 && threshold <= 1)) throw new InvalidRequest("{threshold} must be in [0, 1], got " + threshold);
            if (memoryBudgetBytes < 1) throw new IllegalArgumentException("memory budget must be positive");
            return new SaliencySettings(this);
        }
    }
}
