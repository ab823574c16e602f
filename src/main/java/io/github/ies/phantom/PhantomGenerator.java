package io.github.ies.phantom;

import io.github.ies.io.Geometry;
import io.github.ies.io.Volume;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Generates a synthetic MS brain (see {@code docs/phantom.md}): anatomy in millimetres ({@link Anatomy}), lesions in
 * white matter ({@link LesionPlacer}), FLAIR and MPRAGE contrasts ({@link Contrast}) with partial-volume blur
 * ({@link Rendering}), bias field and Rician noise ({@link BiasAndNoise}); {@link Phantom} writes the files.
 * Deterministic: the same spec gives the same voxels on every run and JVM (explicitly seeded {@link SplittableRandom}
 * streams, hash-based noise, {@link StrictMath} for transcendental functions, no hash-ordered collections).
 */
public final class PhantomGenerator {

    /** Format tag written to {@code phantom.json}. */
    public static final String FORMAT = "ies-phantom/1";
    /** Generator version written to {@code phantom.json}; bumped whenever the same seed gives different images. */
    public static final int VERSION = 1;

    /** Standard deviation (mm) of the partial-volume blur applied to the intensity images. */
    static final double PV_SIGMA_MM = 1.0;
    /** Standard deviation (mm) of the extra blur of lesion contrast (fuzzy lesion borders). */
    static final double LESION_EDGE_SIGMA_MM = 0.9;

    /** Voxels at least this large (mm) get partial volume from 2x2x2 sub-samples at tissue boundaries. */
    static final double SUPERSAMPLE_ABOVE_MM = 1.25;

    private final PhantomSpec spec;
    private final Anatomy anatomy;
    private final Geometry geometry;
    private final Noise lesionNoise;

    private PhantomGenerator(PhantomSpec spec) {
        this.spec = spec;
        long s = Noise.mix(spec.seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L);
        this.anatomy = new Anatomy(spec, s);
        this.geometry = Geometry.axisAligned(anatomy.spacing, anatomy.centre);
        lesionNoise = new Noise(s + 6);
    }

    /** Generates the phantom described by {@code spec}. */
    public static Phantom generate(PhantomSpec spec) {
        if (spec.style == PhantomStyle.REALISTIC) return RealisticGenerator.generate(spec).phantom;
        return new PhantomGenerator(spec).run();
    }

    private Phantom run() {
        SplittableRandom root = new SplittableRandom(spec.seed);
        SplittableRandom anatomyRng = root.split();
        SplittableRandom lesionRng = root.split();
        SplittableRandom contrastRng = root.split();
        SplittableRandom noiseRng = root.split();

        Anatomy a = anatomy;
        int[] d = a.d;
        int n = a.n;
        a.draw(anatomyRng);
        a.classify();
        a.supersampleBoundaries();
        LesionPlacer placer = new LesionPlacer(a, lesionNoise, lesionRng);
        placer.placeAll(spec.lesions);

        Map<String, Object> params = new LinkedHashMap<>();
        anatomyParams(params, a);

        Contrast flairC = Contrast.flair(contrastRng);
        Contrast t1C = Contrast.mprage(contrastRng);
        double[] sharedBias = BiasAndNoise.biasCoefficients(contrastRng);
        double[] flairBiasC = BiasAndNoise.mixBias(sharedBias, BiasAndNoise.biasCoefficients(contrastRng));
        double[] t1BiasC = BiasAndNoise.mixBias(sharedBias, BiasAndNoise.biasCoefficients(contrastRng));
        double flairBiasAmp = uniform(contrastRng, 0.10, 0.15), t1BiasAmp = uniform(contrastRng, 0.10, 0.15);
        double flairNoise = uniform(contrastRng, 0.02, 0.035), t1Noise = uniform(contrastRng, 0.015, 0.03);
        double flairMax = uniform(contrastRng, 3500, 6000), t1Max = uniform(contrastRng, 3500, 6000);
        flairC.put(params, "flair_");
        t1C.put(params, "mprage_");
        params.put("flair_bias_amplitude", flairBiasAmp);
        params.put("mprage_bias_amplitude", t1BiasAmp);
        params.put("flair_noise_sigma_rel_wm", flairNoise);
        params.put("mprage_noise_sigma_rel_wm", t1Noise);
        params.put("pv_blur_sigma_mm", PV_SIGMA_MM);

        List<Lesion> lesions = new ArrayList<>();
        double[] lesionFlair = new double[placer.specs.size() + 1];
        double[] lesionT1 = new double[placer.specs.size() + 1];
        for (int id = 1; id <= placer.specs.size(); id++) {
            LesionPlacer.PlacedLesion pl = placer.specs.get(id - 1);
            LesionKind kind = pl.kind;
            double cf, ct;
            if (kind == LesionKind.CONFLUENT_CAP || pl.voxels > 300) {
                cf = uniform(contrastRng, 1.6, 1.95);
                ct = uniform(contrastRng, 0.38, 0.52);
            } else {
                cf = uniform(contrastRng, 1.45, 2.0);
                ct = contrastRng.nextDouble() < 0.25 && pl.voxels < 150 ? uniform(contrastRng, 0.84, 0.95)
                        : uniform(contrastRng, 0.36, 0.62);
            }
            lesionFlair[id] = cf;
            lesionT1[id] = ct;
            lesions.add(new Lesion(id, kind, pl.centroid, pl.voxels, cf, ct));
        }

        Rendering rendering = new Rendering(a, lesionNoise);
        float[] flairRaw = rendering.render(flairC, lesionFlair, placer.lesionId);
        float[] t1Raw = rendering.render(t1C, lesionT1, placer.lesionId);
        BiasAndNoise scanner = new BiasAndNoise(a);
        float[] flairBias = scanner.biasField(flairBiasC, flairBiasAmp);
        float[] t1Bias = scanner.biasField(t1BiasC, t1BiasAmp);
        double flairSlope = scanner.finish(flairRaw, flairBias, flairC.wm * flairNoise, flairMax, noiseRng.split());
        double t1Slope = scanner.finish(t1Raw, t1Bias, t1C.wm * t1Noise, t1Max, noiseRng.split());

        float[] lesionMask = new float[n], brainMask = new float[n], tissues = new float[n];
        for (int p = 0; p < n; p++) {
            lesionMask[p] = placer.lesionId[p] > 0 ? 1f : 0f;
            brainMask[p] = a.brain[p] ? 1f : 0f;
            tissues[p] = a.tissue[p];
        }
        return new Phantom(spec, new Volume(flairRaw, d, geometry), flairSlope, new Volume(t1Raw, d, geometry), t1Slope,
                new Volume(lesionMask, d, geometry), new Volume(brainMask, d, geometry),
                new Volume(tissues, d, geometry), lesions, params);
    }

    static double uniform(SplittableRandom r, double lo, double hi) {
        return lo + (hi - lo) * r.nextDouble();
    }

    /** The subject's drawn anatomy parameters, as phantom.json records them (both styles). */
    static void anatomyParams(Map<String, Object> params, Anatomy a) {
        params.put("head_scale_x", a.headAxes[0] / 76.0);
        params.put("head_scale_y", a.headAxes[1] / 95.0);
        params.put("head_scale_z", a.headAxes[2] / 82.0);
        params.put("ventricle_scale", a.ventScale);
        params.put("cortex_thickness_mm", a.gmMm);
        params.put("sulcus_feature_mm", a.sulcusFeatureMm);
    }

}
