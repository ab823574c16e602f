package io.github.ies.analysis;

import io.github.ies.instances.InstanceResult;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.ProgressListener;
import io.github.ies.pipeline.LesionSegmentation;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The ground-truth lesions of the experiments numbered as {@code ies segment} and {@code ies explain} number them, so
 * that "lesion 7" is the same lesion in every output of a subject. The experiments take the ground truth's
 * 18-connected components (the authors' lesions); each gets the id of the instance {@code ies explain --gt} would give
 * it: an FN instance's id when the model missed it (FN instances are the missed components), else the id of the
 * predicted instance covering most of its voxels (its TP instance, whose voxels differ from the ground truth's: the
 * experiments keep the ground truth's). The segmentation is the bundle's (its threshold, connectivity and minimum size)
 * with the given brain mask, as {@code ies segment --gt GT --brain-mask B} runs it.
 */
public final class ExplainIds {

    private ExplainIds() {}

    /**
     * The 18-connected components of {@code gt} renumbered with explain's ids (see the class comment). Two components
     * that overlap the same predicted instance (one instance spanning both) cannot both take its id: the one with the
     * smaller overlap gets an id after every id of the instance table, with a warning.
     */
    public static Volume of(ModelBundle bundle, Volume[] channels, Volume gt, Volume brainMaskOrNull, String device, int threads,
            ProgressListener progress, List<String> warnings) throws Exception {
        LesionSegmentation.Options lo = new LesionSegmentation.Options();
        lo.segmenter.device = device;
        lo.segmenter.threads = threads;
        lo.tnSpheres = 0;
        LesionSegmentation ls = LesionSegmentation.run(bundle, channels, gt, brainMaskOrNull, lo, progress, null);
        return renumber(ContextExperiment.componentsOf(gt), ls.instances, warnings);
    }

    /** {@link #of} given the components and the instance analysis. */
    public static Volume renumber(Volume components, InstanceResult ir, List<String> warnings) {
        float[] c = components.data();
        int[] pred = ir.predicted().labels(), fn = ir.fnLabels();
        int maxComp = 0;
        for (float v : c) maxComp = Math.max(maxComp, (int) v);
        int next = 0;
        for (int id : ir.rows().ids()) next = Math.max(next, id);
        next++;
        int[] idOf = new int[maxComp + 1];
        // each component's best instance and how many of its voxels that instance holds
        List<int[]> wants = new java.util.ArrayList<>();     // {component, id (-1: none), voxels in it}
        for (int comp = 1; comp <= maxComp; comp++) {
            Map<Integer, Integer> fnHits = new HashMap<>(), predHits = new HashMap<>();
            boolean any = false;
            for (int v = 0; v < c.length; v++) {
                if ((int) c[v] != comp) continue;
                any = true;
                if (fn != null && fn[v] != 0) fnHits.merge(fn[v], 1, Integer::sum);
                if (pred[v] != 0) predHits.merge(pred[v], 1, Integer::sum);
            }
            if (!any) continue;
            Map<Integer, Integer> hits = !fnHits.isEmpty() ? fnHits : predHits;
            int id = -1, best = 0;
            for (Map.Entry<Integer, Integer> e : hits.entrySet()) {
                if (e.getValue() > best || (e.getValue() == best && e.getKey() < id)) { best = e.getValue(); id = e.getKey(); }
            }
            wants.add(new int[] {comp, id, best});
        }
        // an instance's id goes to the component it holds most of (ties: the first component)
        wants.sort((a, b) -> a[2] != b[2] ? Integer.compare(b[2], a[2]) : Integer.compare(a[0], b[0]));
        Map<Integer, Integer> taken = new HashMap<>();
        List<int[]> late = new java.util.ArrayList<>();
        for (int[] wnt : wants) {
            if (wnt[1] >= 0 && !taken.containsKey(wnt[1])) {
                taken.put(wnt[1], wnt[0]);
                idOf[wnt[0]] = wnt[1];
            } else {
                late.add(wnt);
            }
        }
        late.sort((a, b) -> Integer.compare(a[0], b[0]));
        for (int[] wnt : late) {
            int newId = next++;
            warnings.add(wnt[1] < 0 ? "ground-truth lesion " + wnt[0] + " matches no instance (outside the brain mask?); numbered " + newId
                    : "ground-truth lesions " + taken.get(wnt[1]) + " and " + wnt[0] + " both overlap instance " + wnt[1] + "; " + wnt[0]
                    + ", the smaller overlap, is numbered " + newId);
            idOf[wnt[0]] = newId;
        }
        Volume out = components.zerosLike();
        float[] o = out.data();
        for (int v = 0; v < c.length; v++) if (c[v] != 0) o[v] = idOf[(int) c[v]];
        return out;
    }
}
