package io.github.ies.fiji;

import ij.CompositeImage;
import ij.ImagePlus;
import ij.gui.Roi;
import io.github.ies.instances.LesionRow;
import io.github.ies.instances.LesionRows;
import io.github.ies.io.ExplainLayout;
import io.github.ies.io.Volume;
import io.github.ies.pipeline.ExplainPipeline;
import io.github.ies.saliency.LesionMaps;
import io.github.ies.saliency.SaliencyMethod;
import io.github.ies.saliency.SaliencySettings;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Explain Lesions' displays (display code), built from the maps in memory as the lesions are explained: one gallery frame per lesion (the
 * inputs, the maps and the lesion mask, cropped around its centroid at one size for all lesions) and the
 * whole-volume overview; then the ROIs of the explained lesions.
 */
final class ExplainDisplays implements ExplainPipeline.Sink {
    private final Map<String, Volume> in;
    /** The first selected per-channel method (registry order), one gallery channel per input. */
    private final SaliencyMethod sg;
    /** Each selected layer method and its gallery channel. */
    private final Map<SaliencyMethod, Integer> layers = new java.util.LinkedHashMap<>();
    private final java.util.Set<SaliencyMethod> signed = new java.util.LinkedHashSet<>();
    private final List<LesionGallery.Channel> channels = new ArrayList<>();
    private final List<LesionGallery.Frame> frames = new ArrayList<>();
    private LesionOverview ov;
    private LesionRows t;
    private ExplainPipeline.Labels labelsOf;
    private int[] size;
    private final Map<String, int[]> labelCache = new HashMap<>();
    private final int cropSize;
    /** The displays, once {@link #build} ran. */
    CompositeImage gallery;
    ImagePlus overview;
    List<Roi> rois = new ArrayList<>();

    ExplainDisplays(Map<String, Volume> in, SaliencySettings o, int cropSize) {
        this.in = in;
        this.cropSize = cropSize;
        SaliencyMethod first = null;
        for (SaliencyMethod m : o.methods) if (first == null && m.kind == SaliencyMethod.Kind.PER_CHANNEL) first = m;
        this.sg = first;
        for (String n : in.keySet()) channels.add(new LesionGallery.Channel(n, LesionGallery.Kind.IMAGE));
        if (sg != null) {
            for (String n : in.keySet()) channels.add(new LesionGallery.Channel(sg.displayName + " " + n, LesionGallery.Kind.SIGNED));
        }
        for (SaliencyMethod m : o.methods) {
            if (m.kind != SaliencyMethod.Kind.LAYER) continue;
            layers.put(m, channels.size());
            channels.add(new LesionGallery.Channel(m.displayName, LesionGallery.Kind.PER_FRAME));
        }
        channels.add(new LesionGallery.Channel("lesion mask", LesionGallery.Kind.MASK));
    }

    @Override
    public void instances(LesionRows t, List<Integer> ids, ExplainPipeline.Labels labels) {
        this.t = t;
        labelsOf = labels;
        int[] nd = in.values().iterator().next().dims();
        // one crop size for all lesions, from the explained lesions' bounding boxes
        size = new int[3];
        for (int a = 0; a < 3; a++) {
            int ext = 0;
            for (int id : ids) ext = Math.max(ext, t.byId(id).extent(a));
            size[a] = cropSize > 0 ? cropSize : Math.max(48, ext + 16);
            size[a] = Math.min(size[a], nd[a]);
        }
        Map.Entry<String, Volume> first = in.entrySet().iterator().next();      // FLAIR under the bundle's name
        ov = new LesionOverview(first.getValue(), first.getKey());
    }

    @Override
    public void lesion(LesionMaps m, Volume ref) {
        LesionRow row = t.byId(m.id);
        String cat = row.category();
        int[] centre = row.centreVoxel();
        Map<String, float[]> crops = new HashMap<>();
        for (Map.Entry<String, Volume> e : in.entrySet()) crops.put(e.getKey(), LesionGallery.crop(e.getValue(), centre, size));
        if (sg != null) {
            int c = 0;
            for (String n : in.keySet()) {
                String name = sg.displayName + " " + n;
                Volume map = ExplainPipeline.paste(m.maps.get(sg)[c++], m.regionOf(sg), ref);
                crops.put(name, LesionGallery.crop(map, centre, size));
                ov.add(name, LesionGallery.Kind.SIGNED, map);
            }
        }
        for (SaliencyMethod lm : layers.keySet()) {
            Volume map = ExplainPipeline.paste(m.maps.get(lm)[0], m.regionOf(lm), ref);
            crops.put(lm.displayName, LesionGallery.crop(map, centre, size));
            for (float x : map.data()) if (x < 0) { signed.add(lm); break; }
            ov.add(lm.displayName, LesionGallery.Kind.POSITIVE, map);
        }
        int[] lab = labelCache.computeIfAbsent(ExplainLayout.labelFileFor(cat), f -> labelsOf.of(cat));
        float[] mask = new float[lab.length];
        for (int i = 0; i < lab.length; i++) mask[i] = lab[i] == m.id ? 1 : 0;
        crops.put("lesion mask", LesionGallery.crop(new Volume(mask, ref.dims(), ref.geometry()), centre, size));
        frames.add(new LesionGallery.Frame(m.id, cat, crops));
    }

    /** The gallery (frames in the order of the explained ids), the overview and the ROIs. */
    void build(String base, Volume ref, List<ExplainPipeline.Row> rows) {
        List<LesionGallery.Frame> ordered = new ArrayList<>();
        for (ExplainPipeline.Row r : rows) for (LesionGallery.Frame f : frames) if (f.id == r.id) ordered.add(f);
        List<LesionRow> explainedRows = new ArrayList<>();
        for (LesionGallery.Frame f : ordered) explainedRows.add(t.byId(f.id));
        LesionRows explained = t.withRows(explainedRows);
        for (SaliencyMethod lm : signed) {
            channels.set(layers.get(lm), new LesionGallery.Channel(lm.displayName, LesionGallery.Kind.SIGNED));
            ov.kind(lm.displayName, LesionGallery.Kind.SIGNED);
        }
        gallery = LesionGallery.build(base + "_lesion_gallery", channels, ordered, new ViewSpace(ref.geometry(), size));
        overview = ov.build(base + "_saliency_overview");
        rois = LesionRois.build(explained, new ViewSpace(ref.geometry(), ref.dims()), cat -> labelsOf.of(cat));
    }
}
