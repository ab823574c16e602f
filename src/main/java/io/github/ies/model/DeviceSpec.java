package io.github.ies.model;

import io.github.ies.request.InvalidRequest;

import ai.djl.Device;
import ai.djl.engine.Engine;

import java.util.Locale;

/**
 * A device request: {@code auto} (a GPU when the PyTorch engine reports one, else the CPU), {@code cpu},
 * {@code gpu} (GPU 0) or {@code gpu:N}.
 */
public final class DeviceSpec {

    /** The device when none is named. */
    public static final String DEFAULT = "auto";

    public final String text;

    private DeviceSpec(String text) { this.text = text; }

    public static DeviceSpec parse(String s) {
        String t = s == null ? "auto" : s.trim().toLowerCase(Locale.ROOT);
        if (t.equals("auto") || t.equals("cpu") || t.equals("gpu") || t.matches("gpu:\\d+")) return new DeviceSpec(t);
        throw new InvalidRequest("{device} must be auto, cpu, gpu or gpu:N, got '" + s + "'");
    }

    /** Resolves the request against the PyTorch engine (starting it if needed). */
    public Device resolve() {
        if (text.equals("cpu")) return Device.cpu();
        int gpus = TorchRuntime.engine().getGpuCount();
        switch (text) {
            case "auto":
                return gpus > 0 ? Device.gpu(0) : Device.cpu();
            default:
                int n = text.equals("gpu") ? 0 : Integer.parseInt(text.substring(4));
                if (gpus == 0) {
                    throw new IllegalStateException("device " + text + " requested but the PyTorch engine reports no GPU "
                            + "(CUDA natives for PyTorch " + TorchRuntime.engine().getVersion() + " not found; see docs/model.md)");
                }
                if (n >= gpus) throw new IllegalStateException("device " + text + " requested but only " + gpus + " GPU(s) present");
                return Device.gpu(n);
        }
    }

    @Override
    public String toString() { return text; }

    /** Convenience for {@link Engine} users. */
    public static String describe(Device d) {
        return d.isGpu() ? "gpu:" + d.getDeviceId() : "cpu";
    }
}
