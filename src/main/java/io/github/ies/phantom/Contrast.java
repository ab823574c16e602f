package io.github.ies.phantom;

import java.util.Map;
import java.util.SplittableRandom;

import static io.github.ies.phantom.Anatomy.CSF;
import static io.github.ies.phantom.Anatomy.DGM;
import static io.github.ies.phantom.Anatomy.GM;
import static io.github.ies.phantom.Anatomy.SCALP;
import static io.github.ies.phantom.Anatomy.SKULL;
import static io.github.ies.phantom.Anatomy.SOFT;
import static io.github.ies.phantom.Anatomy.VENT;
import static io.github.ies.phantom.Anatomy.WM;
import static io.github.ies.phantom.PhantomGenerator.uniform;

/** Mean intensity per tissue class for one sequence, white matter = {@link #wm}. */
final class Contrast {
    final double[] mean = new double[9];
    double wm;
    double texture;

    static Contrast flair(SplittableRandom r) {
        Contrast c = new Contrast();
        c.wm = uniform(r, 300, 600);
        c.set(SCALP, uniform(r, 0.75, 1.0));
        c.set(SKULL, uniform(r, 0.05, 0.1));
        c.set(SOFT, uniform(r, 0.45, 0.65));
        c.set(CSF, uniform(r, 0.12, 0.22));
        c.set(GM, uniform(r, 1.3, 1.45));
        c.set(DGM, uniform(r, 1.08, 1.2));
        c.set(WM, 1.0);
        c.set(VENT, c.rel(CSF) * uniform(r, 0.8, 0.95));
        c.texture = uniform(r, 0.02, 0.04);
        return c;
    }

    static Contrast mprage(SplittableRandom r) {
        Contrast c = new Contrast();
        c.wm = uniform(r, 400, 800);
        c.set(SCALP, uniform(r, 1.0, 1.3));
        c.set(SKULL, uniform(r, 0.06, 0.12));
        c.set(SOFT, uniform(r, 0.4, 0.55));
        c.set(CSF, uniform(r, 0.15, 0.27));
        c.set(GM, uniform(r, 0.66, 0.76));
        c.set(DGM, uniform(r, 0.76, 0.86));
        c.set(WM, 1.0);
        c.set(VENT, c.rel(CSF) * uniform(r, 0.85, 1.0));
        c.texture = uniform(r, 0.015, 0.03);
        return c;
    }

    void set(int label, double relative) {
        mean[label] = relative * wm;
    }

    double rel(int label) {
        return mean[label] / wm;
    }

    void put(Map<String, Object> params, String prefix) {
        params.put(prefix + "wm", wm);
        String[] names = {"background", "scalp", "skull", "soft_tissue", "csf", "cortical_gm", "deep_gm",
            "white_matter", "ventricle"};
        for (int t = 1; t < names.length; t++) {
            if (t == WM) continue;
            params.put(prefix + names[t] + "_rel_wm", rel(t));
        }
        params.put(prefix + "texture", texture);
    }
}
