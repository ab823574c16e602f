package io.github.ies.phantom;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A generated synthetic MS subject: FLAIR and MPRAGE (values as a reader gets them from the int16 files, i.e.
 * stored integer times {@code scl_slope}), the binary lesion ground truth, the brain mask, the tissue label map
 * ({@link Tissue} codes, without lesions) and the list of lesions. All volumes share one {@link
 * io.github.ies.io.Geometry}.
 */
public final class Phantom {

    /** File names written by {@link #write(Path)}. */
    public static final String FLAIR = "flair.nii.gz", MPRAGE = "mprage.nii.gz", LESIONS = "lesions.nii.gz",
            BRAINMASK = "brainmask.nii.gz", TISSUES = "tissues.nii.gz", JSON = "phantom.json",
            CONFOUNDERS = "confounders.nii.gz";

    private final PhantomSpec spec;
    private final Volume flair, mprage, lesionMask, brainMask, tissues;
    private final double flairSlope, mprageSlope;
    private final List<Lesion> lesions;
    private final Map<String, Object> parameters;
    /** Realistic style only (else null): {@link RealisticGenerator} confounder codes, 0 elsewhere. */
    private final Volume confounders;

    Phantom(PhantomSpec spec, Volume flair, double flairSlope, Volume mprage, double mprageSlope, Volume lesionMask,
            Volume brainMask, Volume tissues, List<Lesion> lesions, Map<String, Object> parameters) {
        this(spec, flair, flairSlope, mprage, mprageSlope, lesionMask, brainMask, tissues, lesions, parameters, null);
    }

    Phantom(PhantomSpec spec, Volume flair, double flairSlope, Volume mprage, double mprageSlope, Volume lesionMask,
            Volume brainMask, Volume tissues, List<Lesion> lesions, Map<String, Object> parameters, Volume confounders) {
        this.confounders = confounders;
        this.spec = spec;
        this.flair = flair;
        this.flairSlope = flairSlope;
        this.mprage = mprage;
        this.mprageSlope = mprageSlope;
        this.lesionMask = lesionMask;
        this.brainMask = brainMask;
        this.tissues = tissues;
        this.lesions = Collections.unmodifiableList(lesions);
        this.parameters = Collections.unmodifiableMap(parameters);
    }

    public PhantomSpec spec() { return spec; }
    public Volume flair() { return flair; }
    public Volume mprage() { return mprage; }
    /** Binary (0/1) ground-truth lesion mask. */
    public Volume lesionMask() { return lesionMask; }
    /** Binary (0/1) brain mask: everything inside the brain's outer surface (sulci and ventricles included). */
    public Volume brainMask() { return brainMask; }
    /** Tissue labels ({@link Tissue#code}) of the healthy anatomy; lesions lie in {@link Tissue#WHITE_MATTER}. */
    public Volume tissues() { return tissues; }
    public double flairSlope() { return flairSlope; }
    public double mprageSlope() { return mprageSlope; }
    public List<Lesion> lesions() { return lesions; }
    /** Per-seed contrast, noise and bias parameters (as in {@code phantom.json}). */
    public Map<String, Object> parameters() { return parameters; }
    /**
     * Realistic style: where the normal FLAIR hyperintensities that are not lesions were put (codes of {@link
     * RealisticGenerator#CONFOUNDER_NAMES}: 1 periventricular rim, 2 cap, 3 septum pellucidum, 4 CSF flow artefact,
     * 5 choroid plexus; 0 elsewhere), never on a lesion voxel; null for the classic style.
     */
    public Volume confounders() { return confounders; }

    /**
     * Refuses a folder that already holds a file a phantom would write (e.g. a user's own {@code flair.nii.gz}) unless
     * it is an earlier phantom's folder (its {@code phantom.json} of this format): a phantom never overwrites what it
     * did not create. Call before any work.
     */
    public static void checkTarget(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return;
        List<String> present = new java.util.ArrayList<>();
        for (String f : new String[] {FLAIR, MPRAGE, LESIONS, BRAINMASK, TISSUES, CONFOUNDERS, JSON}) if (Files.exists(dir.resolve(f), java.nio.file.LinkOption.NOFOLLOW_LINKS)) present.add(f);
        if (present.isEmpty() || earlierPhantom(dir)) return;
        throw new IllegalArgumentException(dir + " already holds " + String.join(", ", present) + " and is not an earlier phantom's folder (no "
                + JSON + " of format " + PhantomGenerator.FORMAT + "); a phantom would overwrite them: choose another folder, nothing was changed");
    }

    private static boolean earlierPhantom(Path dir) {
        Path j = dir.resolve(JSON);
        if (!Files.isRegularFile(j, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return false;
        try {
            com.google.gson.JsonElement e = com.google.gson.JsonParser.parseString(Files.readString(j, StandardCharsets.UTF_8));
            return e.isJsonObject() && e.getAsJsonObject().has("format")
                    && PhantomGenerator.FORMAT.equals(e.getAsJsonObject().get("format").getAsString());
        } catch (IOException | RuntimeException ex) {
            return false;
        }
    }

    /**
     * Writes {@code flair.nii.gz}, {@code mprage.nii.gz} (int16 with scl_slope), {@code lesions.nii.gz},
     * {@code brainmask.nii.gz}, {@code tissues.nii.gz} (uint8) and {@code phantom.json} into {@code dir}
     * (created if needed), each atomically; refused by {@link #checkTarget} when it holds files of another origin.
     */
    public void write(Path dir) throws IOException {
        checkTarget(dir);
        Files.createDirectories(dir);
        // a provisional phantom.json first: a run stopped half-way leaves a folder the next run recognises and rewrites
        byte[] provisional = ("{\"format\": \"" + PhantomGenerator.FORMAT + "\", \"status\": \"being written\"}\n").getBytes(StandardCharsets.UTF_8);
        Nifti.writeAtomically(dir.resolve(JSON), out -> out.write(provisional));
        Nifti.write(flair, dir.resolve(FLAIR), NiftiDataType.INT16, flairSlope, 0);
        Nifti.write(mprage, dir.resolve(MPRAGE), NiftiDataType.INT16, mprageSlope, 0);
        Nifti.write(lesionMask, dir.resolve(LESIONS), NiftiDataType.UINT8);
        Nifti.write(brainMask, dir.resolve(BRAINMASK), NiftiDataType.UINT8);
        Nifti.write(tissues, dir.resolve(TISSUES), NiftiDataType.UINT8);
        if (confounders != null) Nifti.write(confounders, dir.resolve(CONFOUNDERS), NiftiDataType.UINT8);
        else Files.deleteIfExists(dir.resolve(CONFOUNDERS));     // an earlier realistic phantom's, in a phantom folder
        byte[] json = toJson().getBytes(StandardCharsets.UTF_8);
        Nifti.writeAtomically(dir.resolve(JSON), out -> out.write(json));
    }

    /** The description written to {@code phantom.json}. */
    public String toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("format", PhantomGenerator.FORMAT);
        o.addProperty("version", PhantomGenerator.VERSION);
        if (spec.style != PhantomStyle.CLASSIC) {
            o.addProperty("style", spec.style.label);
            o.addProperty("style_version", RealisticGenerator.VERSION);
        }
        o.addProperty("seed", spec.seed);
        o.add("shape", array(spec.shape()[0], spec.shape()[1], spec.shape()[2]));
        o.addProperty("spacing_mm", spec.spacing);
        o.addProperty("lesions_requested", spec.lesions);
        o.addProperty("lesion_count", lesions.size());
        long total = 0;
        for (Lesion l : lesions) total += l.voxels;
        o.addProperty("lesion_voxels_total", total);
        JsonObject files = new JsonObject();
        files.addProperty("flair", FLAIR);
        files.addProperty("mprage", MPRAGE);
        files.addProperty("lesions", LESIONS);
        files.addProperty("brainmask", BRAINMASK);
        files.addProperty("tissues", TISSUES);
        if (confounders != null) files.addProperty("confounders", CONFOUNDERS);
        o.add("files", files);
        JsonObject labels = new JsonObject();
        for (Tissue t : Tissue.values()) labels.addProperty(String.valueOf(t.code), t.name().toLowerCase());
        o.add("tissue_labels", labels);
        if (confounders != null) {
            JsonObject cl = new JsonObject();
            for (int c = 1; c < RealisticGenerator.CONFOUNDER_NAMES.length; c++) {
                cl.addProperty(String.valueOf(c), RealisticGenerator.CONFOUNDER_NAMES[c]);
            }
            o.add("confounder_labels", cl);
        }
        o.addProperty("flair_scl_slope", (float) flairSlope);
        o.addProperty("mprage_scl_slope", (float) mprageSlope);
        JsonObject params = new JsonObject();
        for (Map.Entry<String, Object> e : parameters.entrySet()) {
            Object v = e.getValue();
            if (v instanceof Number) params.addProperty(e.getKey(), round((Number) v));
            else params.addProperty(e.getKey(), String.valueOf(v));
        }
        o.add("parameters", params);
        double[][] aff = flair.affine();
        JsonArray lesionArray = new JsonArray();
        for (Lesion l : lesions) {
            JsonObject lo = new JsonObject();
            lo.addProperty("id", l.id);
            lo.addProperty("kind", l.kind.label);
            lo.addProperty("voxels", l.voxels);
            lo.addProperty("volume_mm3", round(l.voxels * flair.geometry().voxelVolume()));
            double[] c = l.centroid();
            lo.add("centroid_voxel", array(round(c[0]), round(c[1]), round(c[2])));
            double[] w = new double[3];
            for (int r = 0; r < 3; r++) w[r] = aff[r][0] * c[0] + aff[r][1] * c[1] + aff[r][2] * c[2] + aff[r][3];
            lo.add("centroid_mm", array(round(w[0]), round(w[1]), round(w[2])));
            lo.addProperty("flair_contrast", round(l.flairContrast));
            lo.addProperty("mprage_contrast", round(l.mprageContrast));
            if (l.location != null) lo.addProperty("location", l.location);
            if (l.t1Appearance != null) lo.addProperty("mprage_appearance", l.t1Appearance);
            lesionArray.add(lo);
        }
        o.add("lesions", lesionArray);
        return new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n";
    }

    private static double round(Number v) {
        return Math.round(v.doubleValue() * 1e4) / 1e4;
    }

    private static JsonArray array(Number... values) {
        JsonArray a = new JsonArray();
        for (Number v : values) a.add(v);
        return a;
    }
}
