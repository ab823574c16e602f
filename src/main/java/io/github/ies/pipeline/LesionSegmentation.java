package io.github.ies.pipeline;

import io.github.ies.io.ExplainLayout;
import io.github.ies.geometry.ModelGrid;
import io.github.ies.instances.Connectivity;
import io.github.ies.instances.InstanceAnalysis;
import io.github.ies.instances.InstanceParams;
import io.github.ies.instances.InstanceResult;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.ProgressListener;
import io.github.ies.model.SegmentationResult;
import io.github.ies.model.Segmenter;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Segmentation followed by the lesion-instance analysis: the one code path behind {@code ies segment},
 * {@code ies explain} (when it segments first) and Fiji's Segment Lesions. The instance parameters default to the
 * bundle's connectivity and {@code min_lesion_voxels}. When the bundle declares an orientation or spacing the inputs
 * are not on, the model and the instance analysis run on the declared grid ({@link ModelGrid}) and the probability,
 * mask, labels and table come back to the input's grid (docs/model.md, "Model geometry").
 */
public final class LesionSegmentation {

    /** What to run: the segmenter's options and the instance analysis' overrides. */
    public static final class Options {
        public final Segmenter.Options segmenter = new Segmenter.Options();
        /** 6, 18 or 26; null: the bundle's. */
        public Integer connectivity;
        /** Null: the bundle's {@code min_lesion_voxels}. */
        public Integer minLesionVoxels;
        public int tnSpheres = InstanceParams.DEFAULT_TN_SPHERES;
        public long seed = InstanceParams.DEFAULT_SEED;

        /** The one check of these options, for every interface, before any work. @throws io.github.ies.request.InvalidRequest naming the setting */
        public Options validate() {
            segmenter.validate();
            InstanceParams.check(minLesionVoxels, tnSpheres);
            io.github.ies.instances.Connectivity.checkOption(connectivity);
            return this;
        }
    }

    /** The probability and mask on the input's grid; the normalised input is the one the model saw. */
    public final SegmentationResult segmentation;
    /** The instances on the input's grid (ids, categories and metrics as found on the model's grid). */
    public final InstanceResult instances;
    /** The instances on the model's grid (the same object as {@link #instances} when the grids are one). */
    public final InstanceResult modelInstances;
    /** The input's grid against the model's declared geometry (identity when nothing is declared or it matches). */
    public final ModelGrid grid;
    public final InstanceParams params;
    public final double instanceSeconds;

    private LesionSegmentation(SegmentationResult s, InstanceResult i, InstanceResult mi, ModelGrid grid, InstanceParams p, double seconds) {
        this.segmentation = s;
        this.instances = i;
        this.modelInstances = mi;
        this.grid = grid;
        this.params = p;
        this.instanceSeconds = seconds;
    }

    /** The instance parameters for a bundle and options. */
    public static InstanceParams instanceParams(ModelBundle bundle, Options o) {
        return InstanceParams.defaults()
                .withConnectivity(Connectivity.of(o.connectivity != null ? o.connectivity : bundle.connectivity()))
                .withMinLesionVoxels(o.minLesionVoxels != null ? o.minLesionVoxels : bundle.minLesionVoxels())
                .withTnSpheres(o.tnSpheres).withSeed(o.seed);
    }

    /**
     * Segments the channels (in the bundle's order) and labels the lesions; with a ground truth also categories, FN
     * instances, TN spheres and metrics. {@code onLoaded} (may be null) is told the loaded segmenter (e.g. to report
     * its device) before the sliding window starts.
     */
    public static LesionSegmentation run(ModelBundle bundle, Volume[] channels, Volume gtOrNull, Volume brainMaskOrNull,
            Options o, ProgressListener progress, Consumer<Segmenter> onLoaded) throws Exception {
        o.validate();
        ModelGrid grid = ModelGrid.plan(channels[0].dims(), channels[0].geometry(), bundle.geometry());
        InstanceParams ip = instanceParams(bundle, o);
        if (grid.identity()) {
            SegmentationResult sr;
            try (Segmenter seg = new Segmenter(bundle, o.segmenter)) {
                if (onLoaded != null) onLoaded.accept(seg);
                sr = seg.segment(channels, brainMaskOrNull, progress);
            }
            if (grid.worthSaying()) sr = sr.onGrid(sr.probability(), sr.mask(), grid.describe());
            long t0 = System.nanoTime();
            InstanceResult ir = InstanceAnalysis.run(sr.probability(), sr.mask(), gtOrNull, brainMaskOrNull, channels[0], ip);
            return new LesionSegmentation(sr, ir, ir, grid, ip, (System.nanoTime() - t0) / 1e9);
        }
        // the model runs on its declared grid (inputs reoriented exactly, resampled trilinearly; masks nearest);
        // instances are found there (ids in the model grid's raster order, whatever the input's storage order) and
        // carried back to the input's grid by nearest neighbour, ids kept
        Volume[] onModel = new Volume[channels.length];
        for (int c = 0; c < channels.length; c++) onModel[c] = grid.toModel(channels[c], ModelGrid.Interpolation.LINEAR);
        Volume brainOnModel = brainMaskOrNull == null ? null : grid.toModel(brainMaskOrNull, ModelGrid.Interpolation.NEAREST);
        Volume gtOnModel = gtOrNull == null ? null : grid.toModel(gtOrNull, ModelGrid.Interpolation.NEAREST);
        SegmentationResult sm;
        try (Segmenter seg = new Segmenter(bundle, o.segmenter)) {
            if (onLoaded != null) onLoaded.accept(seg);
            sm = seg.segment(onModel, brainOnModel, progress);
        }
        long t0 = System.nanoTime();
        InstanceResult im = InstanceAnalysis.run(sm.probability(), sm.mask(), gtOnModel, brainOnModel, onModel[0], ip);
        Volume probability = grid.toNative(sm.probability(), ModelGrid.Interpolation.LINEAR);
        Volume mask = grid.toNative(sm.mask(), ModelGrid.Interpolation.NEAREST);
        int[] pred = labels(grid, im.predicted().labels(), sm.probability());
        int[] fn = im.fnLabels() == null ? null : labels(grid, im.fnLabels(), sm.probability());
        int[] tn = im.tnLabels() == null ? null : labels(grid, im.tnLabels(), sm.probability());
        InstanceResult in = im.onGrid(probability.geometry(), probability.dims(), pred, fn, tn, probability.data(), grid.nativeFromModel(),
                grid.modelGridText());
        SegmentationResult sr = sm.onGrid(probability, mask, grid.describe());
        return new LesionSegmentation(sr, in, im, grid, ip, (System.nanoTime() - t0) / 1e9);
    }

    /** A model-grid label image (NIfTI order) on the input's grid, by nearest neighbour, ids kept. */
    static int[] labels(ModelGrid grid, int[] onModel, Volume modelRef) {
        float[] f = new float[onModel.length];
        for (int i = 0; i < f.length; i++) f[i] = onModel[i];
        float[] back = grid.toNative(new Volume(f, modelRef.dims(), modelRef.geometry()), ModelGrid.Interpolation.NEAREST).data();
        int[] out = new int[back.length];
        for (int i = 0; i < out.length; i++) out[i] = Math.round(back[i]);
        return out;
    }

    /** Writes {@code probability.nii.gz} (float32) and {@code mask.nii.gz} (uint8) into a folder. */
    public void writeMaps(Path dir) throws IOException {
        Nifti.write(segmentation.probability(), dir.resolve(ExplainLayout.PROBABILITY), NiftiDataType.FLOAT32);
        Nifti.write(segmentation.mask(), dir.resolve(ExplainLayout.MASK), NiftiDataType.UINT8);
    }
}
