package io.github.ies.phantom;

import io.github.ies.io.Geometry;
import io.github.ies.io.Volume;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static io.github.ies.phantom.Anatomy.BG;
import static io.github.ies.phantom.Anatomy.CSF;
import static io.github.ies.phantom.Anatomy.VENT;
import static io.github.ies.phantom.Anatomy.WM;
import static io.github.ies.phantom.PhantomGenerator.uniform;

/**
 * The realistic style ({@link PhantomStyle#REALISTIC}, {@code docs/phantom.md}, "Realistic style"): the classic
 * anatomy of the seed, with
 * <ul>
 * <li>lesion locations drawn per lesion from {@link #LOCATION_SHARES} and sizes in mm3 (so 1 mm and 2 mm subjects have
 * physically alike lesions);</li>
 * <li>lesion contrast drawn per lesion: FLAIR {@link #FLAIR_LESION}, MPRAGE {@link #MPRAGE_FAINT} or, for a drawn
 * fraction {@link #BLACK_HOLE_FRACTION} of lesions, black holes {@link #MPRAGE_BLACK_HOLE};</li>
 * <li>normal FLAIR hyperintensities that are not lesions (label 0 in the ground truth): periventricular rims and caps,
 * the septum pellucidum, CSF flow artefacts, choroid plexus;</li>
 * <li>partial volume from 2x2x2 sub-samples at every spacing, a multiplicative bias field of +-{@link #BIAS_AMPLITUDE},
 * and Rician noise everywhere (the background is the magnitude of complex Gaussian noise, Rayleigh distributed).</li>
 * </ul>
 * Every range is a named constant here and a row of the parameter table in the docs.
 */
final class RealisticGenerator {

    /** Written to {@code phantom.json} as {@code style_version}; bumped whenever a seed's realistic images change. */
    static final int VERSION = 1;

    /** Names of the confounder codes of {@link Phantom#confounders()} (index = code). */
    static final String[] CONFOUNDER_NAMES = {"none", "periventricular_rim", "periventricular_cap", "septum_pellucidum",
        "csf_flow_artefact", "choroid_plexus"};
    static final byte RIM = 1, CAP = 2, SEPTUM = 3, FLOW = 4, CHOROID = 5;

    // ---- lesions (ratios to normal-appearing white matter) ----
    /** Shares of lesion locations: periventricular, juxtacortical, infratentorial, deep white matter. */
    static final double[] LOCATION_SHARES = {0.40, 0.20, 0.10, 0.30};
    static final String[] LOCATION_NAMES = {"periventricular", "juxtacortical", "infratentorial", "deep_wm"};
    /** Lesion volume (mm3), log-uniform; infratentorial lesions at most {@link #INFRATENTORIAL_MAX_MM3}. */
    static final double[] LESION_MM3 = {24, 1200};
    static final double INFRATENTORIAL_MAX_MM3 = 250;
    /** From 8 lesions on, the first one is a confluent periventricular lesion of this volume (mm3). */
    static final double[] CONFLUENT_MM3 = {2000, 6000};
    static final double[] FLAIR_LESION = {1.30, 1.80};
    static final double[] MPRAGE_FAINT = {0.85, 1.00};
    static final double[] MPRAGE_BLACK_HOLE = {0.45, 0.65};
    /** Per subject: the probability that a lesion is a black hole on MPRAGE. */
    static final double[] BLACK_HOLE_FRACTION = {0.10, 0.30};

    // ---- normal FLAIR hyperintensities (FLAIR values relative to white matter) ----
    /** Rim and cap voxels are labelled in {@code confounders.nii.gz} where they add at least this much (x WM). */
    static final double CONFOUNDER_LABEL_ABOVE = 0.10;
    static final double[] RIM_AMPLITUDE = {0.35, 0.60}, RIM_DECAY_MM = {1.5, 2.5};
    static final double[] CAP_AMPLITUDE = {0.30, 0.55}, CAP_DECAY_MM = {2.5, 4.0};
    static final double[] SEPTUM_FLAIR = {1.20, 1.50}, SEPTUM_THICKNESS_MM = {1.5, 2.5};
    static final double SEPTUM_MPRAGE = 0.95;
    static final double[] FLOW_FLAIR = {0.90, 1.40}, FLOW_FRACTION = {0.06, 0.12};
    static final double FLOW_FEATURE_MM = 5.0;
    static final double[] CHOROID_FLAIR = {1.10, 1.50}, CHOROID_RADIUS_MM = {3.0, 5.0};
    static final double CHOROID_MPRAGE = 0.70;

    // ---- scanner ----
    /** Bias field: exp of a 2nd-order polynomial spanning +-amplitude (log scale) inside the head. */
    static final double[] BIAS_AMPLITUDE = {0.10, 0.20};
    /** Rician noise sigma relative to the white matter intensity. */
    static final double[] FLAIR_NOISE = {0.02, 0.04}, MPRAGE_NOISE = {0.015, 0.03};

    /** The phantom and what the tests check beside it. */
    static final class Result {
        Phantom phantom;
        /** Bias fields (1 = none; inside the head, extended smoothly beyond it). */
        float[] flairBias, mprageBias;
        /** Noise-free images (bias included): exactly 0 where no signal reaches. */
        float[] flairSignal, mprageSignal;
        /** Rician sigma in image units. */
        double flairSigma, mprageSigma;
        double flairBiasAmplitude, mprageBiasAmplitude;
        byte[] confounder;
    }

    private final PhantomSpec spec;
    private final Anatomy a;
    private final Noise lesionNoise, flowNoise;
    private final int[] d;
    private final int n;
    private final double sp;

    private RealisticGenerator(PhantomSpec spec) {
        this.spec = spec;
        long s = Noise.mix(spec.seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L);
        a = new Anatomy(spec, s);           // the classic anatomy of the seed
        lesionNoise = new Noise(s + 6);
        flowNoise = new Noise(s + 7);
        d = a.d;
        n = a.n;
        sp = a.sp;
    }

    static Result generate(PhantomSpec spec) {
        return new RealisticGenerator(spec).run();
    }

    private Result run() {
        SplittableRandom root = new SplittableRandom(spec.seed);
        SplittableRandom anatomyRng = root.split();
        SplittableRandom other = new SplittableRandom(Noise.mix(spec.seed ^ 0x7265616C69737469L)); // "realisti"
        SplittableRandom lesionRng = other.split(), contrastRng = other.split(), confRng = other.split();
        SplittableRandom noiseRng = other.split();

        a.draw(anatomyRng);
        a.classify();
        a.supersampleBoundaries(true);

        // lesions: location and volume drawn per lesion
        List<LesionPlan.Slot> plan = new ArrayList<>();
        List<Integer> planLocation = new ArrayList<>();
        double vox = sp * sp * sp;
        for (int q = 0; q < spec.lesions; q++) {
            LesionKind kind;
            int loc;
            double mm3;
            if (q == 0 && spec.lesions >= 8) {
                kind = LesionKind.CONFLUENT_CAP;
                loc = 0;
                mm3 = uniform(lesionRng, CONFLUENT_MM3[0], CONFLUENT_MM3[1]);
            } else {
                double u = lesionRng.nextDouble();
                loc = 0;
                for (double acc = LOCATION_SHARES[0]; loc < 3 && u >= acc; acc += LOCATION_SHARES[++loc]) { }
                double hi = loc == 2 ? INFRATENTORIAL_MAX_MM3 : LESION_MM3[1];
                mm3 = LESION_MM3[0] * StrictMath.pow(hi / LESION_MM3[0], lesionRng.nextDouble());
                kind = loc == 0 ? LesionKind.PERIVENTRICULAR : loc == 1 ? LesionKind.JUXTACORTICAL
                        : loc == 2 ? LesionKind.INFRATENTORIAL
                        : lesionRng.nextBoolean() ? LesionKind.ELLIPSOID : LesionKind.BLOB;
            }
            double target = mm3 / vox;
            int lo = (int) Math.max(2, Math.round(target * 0.8));
            int hi = (int) Math.max(lo + 1, Math.round(target * 1.25));
            plan.add(new LesionPlan.Slot(kind, lo, hi));
            planLocation.add(loc);
        }
        LesionPlacer placer = new LesionPlacer(a, lesionNoise, lesionRng);
        placer.placeSlots(plan);

        Contrast flairC = Contrast.flair(contrastRng);
        Contrast t1C = Contrast.mprage(contrastRng);
        double bhFraction = uniform(contrastRng, BLACK_HOLE_FRACTION[0], BLACK_HOLE_FRACTION[1]);
        int nl = placer.specs.size();
        double[] lesionFlair = new double[nl + 1], lesionT1 = new double[nl + 1];
        List<Lesion> lesions = new ArrayList<>();
        int[] locationCount = new int[4];
        int blackHoles = 0;
        for (int id = 1; id <= nl; id++) {
            LesionPlacer.PlacedLesion pl = placer.specs.get(id - 1);
            double cf = uniform(contrastRng, FLAIR_LESION[0], FLAIR_LESION[1]);
            boolean bh = contrastRng.nextDouble() < bhFraction;
            double ct = bh ? uniform(contrastRng, MPRAGE_BLACK_HOLE[0], MPRAGE_BLACK_HOLE[1])
                    : uniform(contrastRng, MPRAGE_FAINT[0], MPRAGE_FAINT[1]);
            if (bh) blackHoles++;
            int loc = location(pl.kind);
            locationCount[loc]++;
            lesionFlair[id] = cf;
            lesionT1[id] = ct;
            lesions.add(new Lesion(id, pl.kind, pl.centroid, pl.voxels, cf, ct, LOCATION_NAMES[loc],
                    bh ? "black_hole" : "faint"));
        }

        // normal FLAIR hyperintensities that are not lesions
        byte[] conf = new byte[n];
        float[] flairExtra = new float[n], t1Extra = new float[n];
        Map<String, Object> params = new LinkedHashMap<>();
        confounders(confRng, placer.lesionId, flairC, t1C, conf, flairExtra, t1Extra, params);

        Rendering rendering = new Rendering(a, lesionNoise);
        float[] flair = rendering.render(flairC, lesionFlair, placer.lesionId, flairExtra);
        float[] t1 = rendering.render(t1C, lesionT1, placer.lesionId, t1Extra);

        double[] shared = BiasAndNoise.biasCoefficients(contrastRng);
        double[] flairBiasC = BiasAndNoise.mixBias(shared, BiasAndNoise.biasCoefficients(contrastRng));
        double[] t1BiasC = BiasAndNoise.mixBias(shared, BiasAndNoise.biasCoefficients(contrastRng));
        double flairBiasAmp = uniform(contrastRng, BIAS_AMPLITUDE[0], BIAS_AMPLITUDE[1]);
        double t1BiasAmp = uniform(contrastRng, BIAS_AMPLITUDE[0], BIAS_AMPLITUDE[1]);
        double flairNoise = uniform(contrastRng, FLAIR_NOISE[0], FLAIR_NOISE[1]);
        double t1Noise = uniform(contrastRng, MPRAGE_NOISE[0], MPRAGE_NOISE[1]);
        double flairMax = uniform(contrastRng, 3500, 6000), t1Max = uniform(contrastRng, 3500, 6000);

        Result r = new Result();
        r.flairBias = biasField(flairBiasC, flairBiasAmp);
        r.mprageBias = biasField(t1BiasC, t1BiasAmp);
        r.flairBiasAmplitude = flairBiasAmp;
        r.mprageBiasAmplitude = t1BiasAmp;
        r.flairSigma = flairC.wm * flairNoise;
        r.mprageSigma = t1C.wm * t1Noise;
        for (int p = 0; p < n; p++) {
            flair[p] *= r.flairBias[p];
            t1[p] *= r.mprageBias[p];
        }
        r.flairSignal = flair.clone();
        r.mprageSignal = t1.clone();
        double flairSlope = noiseAndQuantise(flair, r.flairSigma, flairMax, noiseRng.split());
        double t1Slope = noiseAndQuantise(t1, r.mprageSigma, t1Max, noiseRng.split());
        r.confounder = conf;

        PhantomGenerator.anatomyParams(params, a);
        flairC.put(params, "flair_");
        t1C.put(params, "mprage_");
        params.put("black_hole_probability", bhFraction);
        params.put("black_holes", blackHoles);
        int[] planned = new int[4];
        for (int loc : planLocation) planned[loc]++;
        for (int l = 0; l < 4; l++) params.put("lesions_planned_" + LOCATION_NAMES[l], planned[l]);
        for (int l = 0; l < 4; l++) params.put("lesions_" + LOCATION_NAMES[l], locationCount[l]);
        params.put("flair_bias_amplitude", flairBiasAmp);
        params.put("mprage_bias_amplitude", t1BiasAmp);
        params.put("flair_noise_sigma_rel_wm", flairNoise);
        params.put("mprage_noise_sigma_rel_wm", t1Noise);
        params.put("flair_noise_sigma", r.flairSigma);
        params.put("mprage_noise_sigma", r.mprageSigma);
        params.put("pv_blur_sigma_mm", PhantomGenerator.PV_SIGMA_MM);
        params.put("pv_subsamples", 8);

        Geometry g = Geometry.axisAligned(a.spacing, a.centre);
        float[] lesionMask = new float[n], brainMask = new float[n], tissues = new float[n], confV = new float[n];
        for (int p = 0; p < n; p++) {
            lesionMask[p] = placer.lesionId[p] > 0 ? 1f : 0f;
            brainMask[p] = a.brain[p] ? 1f : 0f;
            tissues[p] = a.tissue[p];
            confV[p] = conf[p];
        }
        r.phantom = new Phantom(spec, new Volume(flair, d, g), flairSlope, new Volume(t1, d, g), t1Slope,
                new Volume(lesionMask, d, g), new Volume(brainMask, d, g), new Volume(tissues, d, g), lesions, params,
                new Volume(confV, d, g));
        return r;
    }

    private static int location(LesionKind k) {
        switch (k) {
            case PERIVENTRICULAR:
            case CONFLUENT_CAP:
                return 0;
            case JUXTACORTICAL:
                return 1;
            case INFRATENTORIAL:
                return 2;
            default:
                return 3;
        }
    }

    private double x(int p) {
        return (p % d[0] - a.centre[0]) * sp;
    }

    private double y(int p) {
        return ((p / d[0]) % d[1] - a.centre[1]) * sp;
    }

    private double z(int p) {
        return (p / (d[0] * d[1]) - a.centre[2]) * sp;
    }

    private static double clamp01(double v) {
        return Math.max(0, Math.min(1, v));
    }

    /**
     * Fills the confounder codes and the extra FLAIR/MPRAGE intensities (relative to white matter, added before the
     * blur) of rims and caps along the ventricles, the septum pellucidum, CSF flow artefacts and the choroid plexus.
     * Never on a lesion voxel.
     */
    private void confounders(SplittableRandom r, short[] lesionId, Contrast fc, Contrast tc, byte[] conf,
            float[] fx, float[] tx, Map<String, Object> params) {
        byte[] t = a.tissue;
        boolean[] vent = new boolean[n];
        for (int p = 0; p < n; p++) vent[p] = t[p] == VENT;
        float[] dv = Filters.distance(vent, d, a.spacing);
        double ventBase = a.headCentre[2] + 4;          // the third ventricle's centre height (Anatomy.draw)
        double lateralAbove = ventBase + 6;             // lateral ventricle bodies and horns lie above this
        double yFront = -1e9, yBack = 1e9;
        for (int p = 0; p < n; p++) {
            if (!vent[p] || z(p) < lateralAbove) continue;
            yFront = Math.max(yFront, y(p));
            yBack = Math.min(yBack, y(p));
        }
        double rimAmp = uniform(r, RIM_AMPLITUDE[0], RIM_AMPLITUDE[1]);
        double rimDecay = uniform(r, RIM_DECAY_MM[0], RIM_DECAY_MM[1]);
        double capAmp = uniform(r, CAP_AMPLITUDE[0], CAP_AMPLITUDE[1]);
        double capDecay = uniform(r, CAP_DECAY_MM[0], CAP_DECAY_MM[1]);
        double septF = uniform(r, SEPTUM_FLAIR[0], SEPTUM_FLAIR[1]);
        double septT = uniform(r, SEPTUM_THICKNESS_MM[0], SEPTUM_THICKNESS_MM[1]);
        double flowF = uniform(r, FLOW_FLAIR[0], FLOW_FLAIR[1]);
        double flowFrac = uniform(r, FLOW_FRACTION[0], FLOW_FRACTION[1]);
        double chorF = uniform(r, CHOROID_FLAIR[0], CHOROID_FLAIR[1]);
        double chorR = uniform(r, CHOROID_RADIUS_MM[0], CHOROID_RADIUS_MM[1]);
        params.put("rim_flair_amplitude", rimAmp);
        params.put("rim_decay_mm", rimDecay);
        params.put("cap_flair_amplitude", capAmp);
        params.put("cap_decay_mm", capDecay);
        params.put("septum_flair_rel_wm", septF);
        params.put("septum_thickness_mm", septT);
        params.put("csf_flow_flair_rel_wm", flowF);
        params.put("csf_flow_fraction", flowFrac);
        params.put("choroid_flair_rel_wm", chorF);
        params.put("choroid_radius_mm", chorR);

        // 1, 2: rims along every ventricle wall, caps at the frontal and occipital horns (white matter only)
        for (int p = 0; p < n; p++) {
            if (t[p] != WM || lesionId[p] != 0 || dv[p] > 20) continue;
            double w = Math.max(0, dv[p] - 0.5 * sp);   // distance from the ventricle wall
            double rim = rimAmp * StrictMath.exp(-w / rimDecay);
            double y = y(p);
            double capness = z(p) < lateralAbove - 4 ? 0
                    : Math.min(1, clamp01((y - (yFront - 12)) / 8) + clamp01(((yBack + 10) - y) / 8));
            double cap = capness * capAmp * StrictMath.exp(-w / capDecay);
            if (rim + cap < 0.01) continue;
            fx[p] += (float) (rim + cap);
            if (rim + cap >= CONFOUNDER_LABEL_ABOVE) conf[p] = cap > rim ? CAP : RIM;
        }
        // 3: the septum pellucidum, a thin midline sheet between the frontal horns and bodies (partial volume by
        // its overlap with the voxel along x)
        for (int p = 0; p < n; p++) {
            if (lesionId[p] != 0 || t[p] == BG) continue;
            double x = x(p), y = y(p), z = z(p);
            double overlap = Math.min(x + sp / 2, septT / 2) - Math.max(x - sp / 2, -septT / 2);
            if (overlap <= 0) continue;
            if (y < -6 || y > yFront || z < lateralAbove || (t[p] != VENT && dv[p] > 3 + sp)) continue;
            double frac = overlap / sp;
            fx[p] += (float) (frac * (septF - fc.rel(t[p])));
            tx[p] += (float) (frac * (SEPTUM_MPRAGE - tc.rel(t[p])));
            conf[p] = SEPTUM;
        }
        // 5: choroid plexus, a spot in the atrium (trigone) of each lateral ventricle
        for (int side = -1; side <= 1; side += 2) {
            double sx = 0, sy = 0, sz = 0;
            int c = 0;
            for (int p = 0; p < n; p++) {
                if (!vent[p]) continue;
                double x = x(p) * side, y = y(p);
                if (x < 8 || x > 26 || y < -34 || y > -14) continue;
                sx += x(p);
                sy += y;
                sz += z(p);
                c++;
            }
            if (c == 0) continue;
            sx /= c;
            sy /= c;
            sz /= c;
            for (int p = 0; p < n; p++) {
                if (!vent[p]) continue;
                double ddx = x(p) - sx, ddy = y(p) - sy, ddz = z(p) - sz;
                double q = Math.sqrt(ddx * ddx + ddy * ddy + ddz * ddz);
                double w = clamp01((chorR - q) / sp + 0.5);
                if (w <= 0) continue;
                fx[p] += (float) (w * (chorF - fc.rel(VENT)));
                tx[p] += (float) (w * (CHOROID_MPRAGE - tc.rel(VENT)));
                conf[p] = CHOROID;
            }
        }
        // 4: CSF flow artefacts: the brightest patches of a smooth noise field in the medial ventricles (third
        // ventricle, foramina) and the CSF around the brainstem (prepontine and ambient cisterns)
        int cand = 0;
        for (int p = 0; p < n; p++) if (flowCandidate(p, conf)) cand++;
        if (cand > 0) {
            double[] vals = new double[cand];
            double[] field = new double[n];
            int c = 0;
            for (int p = 0; p < n; p++) {
                if (!flowCandidate(p, conf)) continue;
                field[p] = flowNoise.fbmMm(x(p), y(p), z(p), FLOW_FEATURE_MM);
                vals[c++] = field[p];
            }
            Arrays.sort(vals);
            double thr = vals[(int) Math.min(cand - 1, Math.floor((1 - flowFrac) * cand))];
            for (int p = 0; p < n; p++) {
                if (!flowCandidate(p, conf) || field[p] < thr) continue;
                double w = clamp01(0.5 + (field[p] - thr) / 0.1);
                fx[p] += (float) (w * (flowF - fc.rel(t[p])));
                conf[p] = FLOW;
            }
        }
        int[] count = new int[CONFOUNDER_NAMES.length];
        for (int p = 0; p < n; p++) count[conf[p]]++;
        for (int c = 1; c < count.length; c++) params.put("voxels_" + CONFOUNDER_NAMES[c], count[c]);
    }

    private boolean flowCandidate(int p, byte[] conf) {
        if (conf[p] != 0) return false;
        byte t = a.tissue[p];
        if (t == VENT) return Math.abs(x(p)) < 8;
        if (t != CSF || z(p) >= a.zBase(x(p), y(p))) return false;
        double sx = (x(p) - a.headCentre[0]) / 11, sy = (y(p) - a.stemY) / 13;
        return sx * sx + sy * sy < 1.6;                 // the cisterns around the brainstem (its CSF rim)
    }

    /**
     * exp of a second-order polynomial in normalised coordinates, scaled so that it spans +-amp (log) inside the head
     * (the classic style's field, {@link BiasAndNoise#biasField}, but defined everywhere so blurred signal just
     * outside the head is not cut off).
     */
    private float[] biasField(double[] c, double amp) {
        double[] log = new double[n];
        double maxAbs = 0;
        for (int k = 0, p = 0; k < d[2]; k++) {
            double z = (k - a.centre[2]) * sp / 90;
            for (int j = 0; j < d[1]; j++) {
                double y = (j - a.centre[1]) * sp / 100;
                for (int i = 0; i < d[0]; i++, p++) {
                    double x = (i - a.centre[0]) * sp / 80;
                    double v = c[0] * x + c[1] * y + c[2] * z + c[3] * x * x + c[4] * y * y + c[5] * z * z
                            + c[6] * x * y + c[7] * x * z + c[8] * y * z;
                    log[p] = v;
                    if (a.tissue[p] != BG) maxAbs = Math.max(maxAbs, Math.abs(v));
                }
            }
        }
        double scale = maxAbs > 0 ? StrictMath.log(1 + amp) / maxAbs : 0;
        float[] f = new float[n];
        for (int p = 0; p < n; p++) f[p] = (float) StrictMath.exp(log[p] * scale);
        return f;
    }

    /**
     * Rician noise everywhere (magnitude of the signal plus complex Gaussian noise of {@code sigma} per channel, so
     * the background is Rayleigh distributed), then int16 with a slope putting the largest value at about
     * {@code storedMax}; returns the slope.
     */
    private double noiseAndQuantise(float[] img, double sigma, double storedMax, SplittableRandom rng) {
        double max = 0;
        for (int p = 0; p < n; p++) {
            double v = BiasAndNoise.rician(img[p], sigma, rng);
            img[p] = (float) v;
            max = Math.max(max, v);
        }
        double slope = (float) (max / storedMax);
        if (!(slope > 0)) slope = 1;
        for (int p = 0; p < n; p++) {
            double stored = Math.min(32767, Math.rint(img[p] / slope));
            img[p] = (float) (stored * slope);
        }
        return slope;
    }
}
