package io.github.ies.saliency;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.ies.model.Autograd;

import java.util.Arrays;
import java.util.Locale;

/**
 * The receptive-field box checked on the run's own data: on the clean input, the gradients of the lesion logits of
 * the first target's first and last voxels computed on their cell boxes must equal those computed on the whole
 * context box (relative 1e-4). A mismatch (a receptive field the probe or the bundle underestimated) turns the boxes
 * off for the engine, with a warning in its log. One forward and two backward passes on the context box.
 */
final class ReceptiveFieldCheck {

    private ReceptiveFieldCheck() {}

    /** Runs the check; returns its outcome for run.json. */
    static String run(Session s, float[] x, int[] dims, Target t) {
        ContextGeometry geo = s.geometry;
        Box ctx = geo.contextBox(t, dims);
        int[][] pts = new int[2][];
        for (int q = 0; q < 2; q++) pts[q] = ContextGeometry.coords(t.voxels[q == 0 ? 0 : t.voxels.length - 1], dims);
        if (geo.cellBox(pts[0], ctx).equals(ctx) && geo.cellBox(pts[1], ctx).equals(ctx)) {
            return "not needed: the receptive-field box of lesion " + t.id + " is its whole context box";
        }
        s.guard.ensureSound(ctx, x, dims, 1);
        for (int[] p : pts) s.guard.ensureSound(geo.cellBox(p, ctx), x, dims, 1);
        int nv = ctx.voxels();
        double worst = 0, scale = 0;
        try (Autograd ag = s.guard.autograd(); NDManager m = s.model.manager().newSubManager()) {
            NDArray in = s.leaf(m, ctx.extract(x, s.channels, dims), 1, ctx);
            in.setRequiresGradient(true);
            NDArray y = s.model.forward(in, true);
            for (int q = 0; q < 2; q++) {
                int[] p = pts[q];
                float[] cot = new float[(int) y.getShape().size()];
                cot[s.lesionChannel * nv + ctx.local(p[0], p[1], p[2])] = 1f;
                if (q > 0) ag.zeroGrad(in);
                ag.backward(y, s.cotangent(m, cot, y.getShape()), q == 0);
                float[] whole = Session.floats(ag.gradient(in));
                s.guard.requireFinite(whole, t, -1, ctx);
                Box u = geo.cellBox(p, ctx);
                float[] part;
                try (NDManager mu = s.model.manager().newSubManager()) {
                    NDArray iu = s.leaf(mu, u.extract(x, s.channels, dims), 1, u);
                    iu.setRequiresGradient(true);
                    NDArray yu = s.model.forward(iu, true);
                    float[] cu = new float[(int) yu.getShape().size()];
                    cu[s.lesionChannel * u.voxels() + u.local(p[0], p[1], p[2])] = 1f;
                    ag.backward(yu, s.cotangent(mu, cu, yu.getShape()), false);
                    part = Session.floats(ag.gradient(iu));
                    s.guard.requireFinite(part, t, -1, u);
                }
                for (int c = 0; c < s.channels; c++) {
                    for (int a = 0; a < ctx.size[0]; a++)
                        for (int b = 0; b < ctx.size[1]; b++)
                            for (int l = 0; l < ctx.size[2]; l++) {
                                float w = whole[c * nv + (a * ctx.size[1] + b) * ctx.size[2] + l];
                                int ul = u.local(ctx.origin[0] + a, ctx.origin[1] + b, ctx.origin[2] + l);
                                float v = ul < 0 ? 0f : part[c * u.voxels() + ul];
                                worst = Math.max(worst, Math.abs(w - v));
                                scale = Math.max(scale, Math.abs(w));
                            }
                }
            }
        }
        if (worst <= 1e-4 * Math.max(scale, 1e-30)) {
            return String.format(Locale.ROOT, "passed: lesion %d, 2 voxels, cell box against context box %s, max |diff| %.2g of max |gradient| %.3g",
                    t.id, Arrays.toString(ctx.size), worst, scale);
        }
        int[][] rf = geo.receptiveField();
        s.log.add("receptive-field box check failed on lesion " + t.id + " (max |diff| " + String.format(Locale.ROOT, "%.3g", worst)
                + " of " + String.format(Locale.ROOT, "%.3g", scale) + "): the bound " + Arrays.toString(rf[0]) + "/"
                + Arrays.toString(rf[1]) + " is too small for this network; SmoothGrad runs on whole context boxes");
        geo.dropReceptiveField();
        return String.format(Locale.ROOT, "FAILED: lesion %d, max |diff| %.3g of max |gradient| %.3g; receptive-field boxes turned off",
                t.id, worst, scale);
    }
}
