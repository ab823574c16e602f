package io.github.ies.saliency;

import java.util.Set;

/**
 * A toy saliency method with a known answer, for {@link AddedMethodTest}: per input channel c, the value c + 1 on the
 * lesion's voxels and 0 elsewhere, stored on the lesion's per-channel box. It is defined here, in a new file, and
 * registered by the test with one line, as a new method would be in {@link SaliencyMethods}.
 */
final class LesionIndicator implements SaliencyMethod.Runner {

    static final SaliencyMethod METHOD = new SaliencyMethod("lesion-indicator", "Lesion indicator",
            SaliencyMethod.Kind.PER_CHANNEL, LesionIndicator::new);

    private final Session s;

    LesionIndicator(Session s) { this.s = s; }

    @Override
    public void lesions(LesionGroup g, Set<SaliencyMethod> methods) {
        for (int t = 0; t < g.size(); t++) {
            LesionMaps m = g.out.get(t);
            Box box = m.smoothGradRegion;
            float[][] crops = new float[s.channels][box.voxels()];
            for (int idx : g.targets.get(t).voxels) {
                int[] p = ContextGeometry.coords(idx, g.dims);
                for (int c = 0; c < s.channels; c++) crops[c][box.local(p[0], p[1], p[2])] = c + 1;
            }
            m.put(METHOD, crops, null, box);
        }
        g.advance(g.size());
    }
}
