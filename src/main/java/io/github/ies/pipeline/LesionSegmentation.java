package io.github.ies.pipeline;

import io.github.ies.io.ExplainLayout;
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
 * bundle's connectivity and {@code min_lesion_voxels}.
 */
public final class LesionSegmentation {

    /** What to run: the segmenter's options and the instance analysis' overrides. */
    public static final class Options {
        public final Segmenter.Options segmenter = new Segmenter.Options();
        /** 6, 18 or 26; null: the bundle's. */
        public Integer connectivity;
        /** Null: the bundle's {@code min_lesion_voxels}. */
        public Integer minLesionVoxels;
        public int tnSpheres = InstanceParams.defaults().tnSpheres;
        public long seed = InstanceParams.defaults().seed;
    }

    public final SegmentationResult segmentation;
    public final InstanceResult instances;
    public final InstanceParams params;
    public final double instanceSeconds;

    private LesionSegmentation(SegmentationResult s, InstanceResult i, InstanceParams p, double seconds) {
        this.segmentation = s;
        this.instances = i;
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
        SegmentationResult sr;
        try (Segmenter seg = new Segmenter(bundle, o.segmenter)) {
            if (onLoaded != null) onLoaded.accept(seg);
            sr = seg.segment(channels, brainMaskOrNull, progress);
        }
        InstanceParams ip = instanceParams(bundle, o);
        long t0 = System.nanoTime();
        InstanceResult ir = InstanceAnalysis.run(sr.probability(), sr.mask(), gtOrNull, brainMaskOrNull, channels[0], ip);
        return new LesionSegmentation(sr, ir, ip, (System.nanoTime() - t0) / 1e9);
    }

    /** Writes {@code probability.nii.gz} (float32) and {@code mask.nii.gz} (uint8) into a folder. */
    public void writeMaps(Path dir) throws IOException {
        Nifti.write(segmentation.probability(), dir.resolve(ExplainLayout.PROBABILITY), NiftiDataType.FLOAT32);
        Nifti.write(segmentation.mask(), dir.resolve(ExplainLayout.MASK), NiftiDataType.UINT8);
    }
}
