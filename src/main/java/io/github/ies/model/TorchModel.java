package io.github.ies.model;

import ai.djl.Device;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;

import java.util.Arrays;
import java.util.List;

/**
 * A bundle's TorchScript module loaded through DJL's PyTorch engine on one device, always in eval mode
 * (BatchNorm uses its running statistics, dropout is off).
 *
 * <p>{@link #forward} and {@link #forwardFeatures} run with autograd disabled unless {@code grad} is true; with
 * {@code grad} true the graph is recorded <em>without</em> switching the module to training mode (DJL's
 * {@code Block.forward(..., training=true)} would call {@code module.train()}, which changes BatchNorm). For
 * gradients, load with {@code trainParam = true} (otherwise libtorch creates inference tensors that cannot be
 * saved for backward) and make the inputs leaves on this model's device.
 */
public final class TorchModel implements AutoCloseable {

    /**
     * TorchScript's profiling graph executor (libtorch's default) profiles and re-optimises the graph for every new
     * input shape; the saliency engine runs many shapes (per-cell boxes, probes, checks), and without fusion on the
     * CPU the optimised graph is no faster, so it is off (per thread, set before every call) unless
     * {@code -Dies.graph_optimizer=true}. Measured in docs/saliency.md.
     */
    static final boolean GRAPH_OPTIMIZER = Boolean.getBoolean("ies.graph_optimizer");

    /** NDArray name that makes DJL's {@link IValueUtils#forward(PtSymbolBlock, NDList, boolean)} call another method. */
    private static final String METHOD_MARKER = "module_method:";

    private final ModelBundle bundle;
    private final Device device;
    private final NDManager manager;
    private final PtSymbolBlock block;
    private final List<String> methods;
    private int outputChannels = -1;
    private volatile GradientBackend gradients = GradientBackend.LIBTORCH;

    private TorchModel(ModelBundle bundle, Device device, NDManager manager, PtSymbolBlock block) {
        this.bundle = bundle;
        this.device = device;
        this.manager = manager;
        this.block = block;
        this.methods = Arrays.asList(JniUtils.getMethodNames(block));
    }

    /**
     * Loads the bundle's {@code model.pt} on a device. {@code trainParam} keeps parameters as autograd-capable
     * tensors (needed for back-propagation; the module stays in eval mode either way).
     */
    public static TorchModel load(ModelBundle bundle, Device device, boolean trainParam) throws BundleException {
        NDManager manager = TorchRuntime.engine().newBaseManager(device);
        try {
            PtSymbolBlock block = JniUtils.loadModule((PtNDManager) manager, bundle.modelFile(), true,
                    new String[0], new String[0], trainParam);
            JniUtils.enableInferenceMode(block);
            TorchModel m = new TorchModel(bundle, device, manager, block);
            if (bundle.features() && !m.methods.contains("forward_features")) {
                m.close();
                throw new BundleException(bundle.source() + ": ies-model.json says \"features\": true but " + ModelBundle.MODEL_FILE
                        + " has no forward_features method (methods: " + m.methods + ")");
            }
            return m;
        } catch (EngineException | IllegalArgumentException e) {
            manager.close();
            throw new BundleException(bundle.source() + ": cannot load " + ModelBundle.MODEL_FILE + " as TorchScript on "
                    + DeviceSpec.describe(device) + ": " + firstLine(e.getMessage()), e);
        } catch (BundleException e) {
            manager.close();
            throw e;
        }
    }

    public ModelBundle bundle() { return bundle; }
    public Device device() { return device; }
    /** The model's base manager (on its device); create per-batch sub-managers from it. */
    public NDManager manager() { return manager; }
    public PtSymbolBlock block() { return block; }
    /** The TorchScript methods of the module. */
    public List<String> methods() { return methods; }

    /**
     * Stops gradients of the parameters (only input and feature-layer gradients are ever needed, and parameter
     * gradients cost as much again and accumulate between backward passes). Idempotent.
     */
    public void freeze() {
        for (ai.djl.util.Pair<String, ai.djl.nn.Parameter> p : block.getParameters()) {
            NDArray a = p.getValue().getArray();
            if (a.hasGradient()) a.setRequiresGradient(false);
        }
    }

    /** The autograd operations used with this model ({@link GradientBackend#LIBTORCH} unless a test replaced them). */
    public GradientBackend gradients() { return gradients; }

    /** Replaces the autograd operations (test doubles that corrupt gradients on purpose). */
    public void setGradients(GradientBackend backend) { this.gradients = backend; }

    /**
     * A leaf input {@code [batch, C, size]} on this model's device holding {@code batch} copies of {@code crop}
     * ({@code [C, size]}, C order), in float64 when asked (for a float64 module), attached to {@code m}.
     */
    public NDArray input(NDManager m, float[] crop, int batch, int[] size, boolean float64) {
        int n = crop.length;
        float[] rep = batch == 1 ? crop : new float[n * batch];
        if (batch > 1) for (int b = 0; b < batch; b++) System.arraycopy(crop, 0, rep, b * n, n);
        NDArray a = m.create(rep, new Shape(batch, n / (size[0] * size[1] * size[2]), size[0], size[1], size[2]));
        if (float64) a = a.toType(ai.djl.ndarray.types.DataType.FLOAT64, false);
        return a;
    }

    /** Logits {@code [B, K, i, j, k]} for {@code x [B, C, i, j, k]} (attached to x's manager). */
    public NDArray forward(NDArray x, boolean grad) {
        JniUtils.setGraphExecutorOptimize(GRAPH_OPTIMIZER);
        NDList out = IValueUtils.forward(block, new NDList(x), grad);
        return out.get(0);
    }

    /**
     * {@code forward_features(x, delta)}: returns {@code [logits, features]} where features is the explained
     * layer's activation plus {@code delta} (broadcastable, normally zeros). Gradients with respect to the layer
     * are the gradients with respect to {@code delta}.
     */
    public NDList forwardFeatures(NDArray x, NDArray delta, boolean grad) {
        if (!methods.contains("forward_features")) {
            throw new IllegalStateException(bundle.source() + ": the model has no forward_features method");
        }
        JniUtils.setGraphExecutorOptimize(GRAPH_OPTIMIZER);
        NDArray marker = x.getManager().create(0f);
        marker.setName(METHOD_MARKER + "forward_features");
        try {
            return IValueUtils.forward(block, new NDList(x, delta, marker), grad);
        } finally {
            marker.close();
        }
    }

    /**
     * Runs {@code forward} on a float32 array of the given shape {@code [B, C, i, j, k]} (C order) and returns the
     * logits as a float array ({@code [B, K, i, j, k]}); native memory is released before returning.
     */
    public float[] forward(float[] x, long[] shape) {
        try (NDManager sub = manager.newSubManager()) {
            NDArray in = sub.create(x, new Shape(shape));
            NDArray out = forward(in, false);
            Shape s = out.getShape();
            if (s.dimension() != 5 || s.get(0) != shape[0] || s.get(2) != shape[2] || s.get(3) != shape[3] || s.get(4) != shape[4]) {
                throw new IllegalStateException("model output shape " + s + " does not match input " + new Shape(shape)
                        + " (expected [B, K, i, j, k] with the input's spatial size)");
            }
            return out.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        }
    }

    /** Number of output channels K (known after {@link #check()}). */
    public int outputChannels() { return outputChannels; }

    /**
     * A test forward pass on zeros of shape {@code [1, C, patch]}: checks that the model accepts the bundle's
     * channel count and patch size and returns {@code [1, K, patch]} with K large enough for the lesion channel.
     */
    public void check() throws BundleException {
        int[] p = bundle.patchSize();
        long[] shape = {1, bundle.inputCount(), p[0], p[1], p[2]};
        Shape out;
        try (NDManager sub = manager.newSubManager()) {
            NDArray x = sub.zeros(new Shape(shape));
            out = forward(x, false).getShape();
        } catch (EngineException e) {
            throw new BundleException(bundle.source() + ": the model failed a test forward pass on input " + new Shape(shape)
                    + " (" + bundle.inputCount() + " channels from \"inputs\" " + bundle.inputs() + ", \"patch_size\" "
                    + Arrays.toString(p) + "): " + firstLine(e.getMessage()), e);
        }
        if (out.dimension() != 5 || out.get(0) != 1 || out.get(2) != p[0] || out.get(3) != p[1] || out.get(4) != p[2]) {
            throw new BundleException(bundle.source() + ": the model maps input " + new Shape(shape) + " to " + out
                    + ", expected [1, K, " + p[0] + ", " + p[1] + ", " + p[2] + "]");
        }
        int k = (int) out.get(1);
        if (bundle.lesionChannel() >= k) {
            throw new BundleException(bundle.source() + ": \"lesion_channel\" " + bundle.lesionChannel()
                    + " but the model outputs " + k + " channel(s) (output " + out + ")");
        }
        if (bundle.activation() == Activation.SOFTMAX && k < 2) {
            throw new BundleException(bundle.source() + ": \"activation\" softmax needs at least 2 output channels, the model outputs "
                    + k + " (output " + out + "); use \"sigmoid\"");
        }
        outputChannels = k;
    }

    /**
     * The informative line of a libtorch error: TorchScript errors start with "The following operation failed in
     * the TorchScript interpreter." and a traceback; the cause is the last line naming an error
     * ("RuntimeError: ...").
     */
    public static String firstLine(String s) {
        if (s == null) return "(no message)";
        String[] lines = s.strip().split("\n");
        for (int i = lines.length - 1; i >= 0; i--) {
            String l = lines[i].strip();
            int e = l.indexOf("Error: ");
            if (e > 0 && l.substring(0, e).matches("[A-Za-z.]+")) return l.substring(e + 7);
        }
        return lines[0].strip();
    }

    /** True when an exception says the device ran out of memory. */
    public static boolean isOutOfMemory(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof OutOfMemoryError) return true;
            String m = c.getMessage();
            if (m != null && m.toLowerCase(java.util.Locale.ROOT).contains("out of memory")) return true;
        }
        return false;
    }

    @Override
    public void close() {
        block.close();
        manager.close();
    }
}
