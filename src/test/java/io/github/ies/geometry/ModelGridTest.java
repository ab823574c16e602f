package io.github.ies.geometry;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.ies.io.Geometry;
import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;
import org.junit.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.Assert.*;

/**
 * {@link ModelGrid} against independent references (scripts/fixtures/make_geometry_fixtures.py): nibabel's
 * orientation functions and {@code as_closest_canonical}, MONAI's Spacing rule for the output shape and affine
 * (transcribed from MONAI's source) and scipy's {@code map_coordinates} for the values (checked there against MONAI's
 * own grid_sample path to 1e-15), on eight native grids: LAS 2.5 mm to RAS 2 mm, RAS 2 mm to 1.5 mm, permuted axes, a
 * flip to LPS, a spacing within MONAI's tolerance, spacing only, an oblique and a sheared affine.
 */
public class ModelGridTest {

    static Path dir(String name) throws Exception {
        return Paths.get(ModelGridTest.class.getResource("/geometry/" + name).toURI());
    }

    static List<String> cases() throws Exception {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir(""))) {
            s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().forEach(out::add);
        }
        return out;
    }

    static ModelGeometry declared(JsonObject c) {
        JsonObject d = c.getAsJsonObject("declared");
        String o = d.get("orientation").isJsonNull() ? null : d.get("orientation").getAsString();
        double[] s = null;
        if (!d.get("spacing").isJsonNull()) {
            JsonArray a = d.getAsJsonArray("spacing");
            s = new double[] {a.get(0).getAsDouble(), a.get(1).getAsDouble(), a.get(2).getAsDouble()};
        }
        return new ModelGeometry(o, s);
    }

    static int[] ints(JsonElement e) {
        JsonArray a = e.getAsJsonArray();
        return new int[] {a.get(0).getAsInt(), a.get(1).getAsInt(), a.get(2).getAsInt()};
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    static double range(float[] a) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (float v : a) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        return hi - lo;
    }

    @Test
    public void fixtureCasesMatchNibabelMonaiAndScipy() throws Exception {
        List<String> names = cases();
        assertEquals(8, names.size());
        for (String name : names) {
            Path d = dir(name);
            JsonObject c = JsonParser.parseString(Files.readString(d.resolve("case.json"))).getAsJsonObject();
            Volume image = Nifti.read(d.resolve("image.nii.gz"));
            Volume labels = Nifti.read(d.resolve("labels.nii.gz"));
            ModelGrid g = ModelGrid.plan(image.dims(), image.geometry(), declared(c));
            String w = name + ": ";
            assertEquals(w + "native axis codes (nibabel aff2axcodes)", c.get("native_axcodes").getAsString(), g.nativeOrientation());
            assertEquals(w + "model axis codes", c.get("model_axcodes").getAsString(), g.modelOrientation());
            assertEquals(w + "reoriented", c.get("reoriented").getAsBoolean(), g.reoriented());
            assertEquals(w + "resampled", c.get("resampled").getAsBoolean(), g.resampled());
            JsonArray ornt = c.getAsJsonArray("ornt");
            int[][] t = g.orientationTransform();
            for (int a = 0; a < 3; a++) {
                assertEquals(w + "ornt", ornt.get(a).getAsJsonArray().get(0).getAsInt(), t[a][0]);
                assertEquals(w + "ornt", ornt.get(a).getAsJsonArray().get(1).getAsInt(), t[a][1]);
            }
            assertArrayEquals(w + "model dims (MONAI's shape rule)", ints(c.get("model_dims")), g.modelDims());
            JsonArray ma = c.getAsJsonArray("model_affine");
            double[][] got = g.modelAffine();
            for (int r = 0; r < 4; r++)
                for (int k = 0; k < 4; k++) {
                    assertEquals(w + "model affine [" + r + "][" + k + "]", ma.get(r).getAsJsonArray().get(k).getAsDouble(), got[r][k], 1e-9);
                }
            // the model grid's NIfTI geometry holds the affine (sform exactly; the qform where there is no shear)
            Geometry mg = g.modelGeometry();
            assertTrue(w + "model geometry's sform", sameAffine(mg.sformAffine(), got, 1e-9));
            if (!name.equals("sheared")) assertTrue(w + "model geometry's qform " + mg, sameAffine(mg.qformAffine(), got, 1e-5));

            // forward: values against scipy (trilinear) and nearest-voxel labels, ids kept
            Volume mi = g.toModel(image, ModelGrid.Interpolation.LINEAR);
            Volume ml = g.toModel(labels, ModelGrid.Interpolation.NEAREST);
            Volume wantMi = Nifti.read(d.resolve("model-image.nii.gz"));
            Volume wantMl = Nifti.read(d.resolve("model-labels.nii.gz"));
            assertArrayEquals(w + "model dims", wantMi.dims(), mi.dims());
            assertTrue(w + "model grid = the reference's affine", mi.geometry().sameAffine(wantMi.geometry(), 1e-4));
            double scale = range(image.data());
            if (g.resampled()) {
                assertTrue(w + "trilinear within 1e-6 of the range", maxAbsDiff(wantMi.data(), mi.data()) <= 1e-6 * scale);
            } else {
                assertArrayEquals(w + "reorientation is exact", wantMi.data(), mi.data(), 0f);
            }
            assertArrayEquals(w + "labels (nearest)", wantMl.data(), ml.data(), 0f);

            // back: the reference's model-grid arrays onto the native grid, and the round trip
            Volume bi = g.toNative(wantMi, ModelGrid.Interpolation.LINEAR);
            Volume bl = g.toNative(wantMl, ModelGrid.Interpolation.NEAREST);
            assertTrue(w + "back on the native affine", bi.sameGrid(image));
            Volume wantBi = Nifti.read(d.resolve("back-image.nii.gz"));
            Volume wantBl = Nifti.read(d.resolve("back-labels.nii.gz"));
            if (g.resampled()) {
                assertTrue(w + "back trilinear", maxAbsDiff(wantBi.data(), bi.data()) <= 1e-6 * scale);
            } else {
                assertArrayEquals(w + "round trip exact", image.data(), bi.data(), 0f);
                assertArrayEquals(w + "round trip exact (Java's own forward)", image.data(), g.toNative(mi, ModelGrid.Interpolation.LINEAR).data(), 0f);
            }
            assertArrayEquals(w + "back labels", wantBl.data(), bl.data(), 0f);
            JsonObject rt = c.getAsJsonObject("round_trip");
            TreeSet<Integer> ids = new TreeSet<>(), back = new TreeSet<>();
            for (float v : labels.data()) if (v != 0) ids.add((int) v);
            for (float v : g.toNative(ml, ModelGrid.Interpolation.NEAREST).data()) if (v != 0) back.add((int) v);
            assertEquals(w + "label ids", rt.getAsJsonArray("label_ids").toString(), ids.toString().replace(" ", ""));
            assertEquals(w + "every id survives the round trip", ids, back);
        }
    }

    static boolean sameAffine(double[][] a, double[][] b, double tol) {
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++) if (!(Math.abs(a[r][c] - b[r][c]) <= tol)) return false;
        return true;
    }

    @Test
    public void noDeclarationIsTheIdentity() throws Exception {
        Volume image = Nifti.read(dir("las-2.5mm-to-ras-2mm").resolve("image.nii.gz"));
        ModelGrid g = ModelGrid.plan(image.dims(), image.geometry(), new ModelGeometry(null, null));
        assertTrue(g.identity());
        assertSame(image.geometry(), g.modelGeometry());
        Volume m = g.toModel(image, ModelGrid.Interpolation.LINEAR);
        assertArrayEquals(image.data(), m.data(), 0f);
        assertNotSame(image.data(), m.data());
        assertTrue(g.describe().contains("no geometry"));
        assertEquals("LAS", g.nativeOrientation());
    }

    @Test
    public void orientationCodes() {
        assertEquals("RAS", Orientation.codes(Orientation.ofCodes("ras")));
        assertArrayEquals(new int[] {1, -1}, Orientation.ofCodes("PLI")[0]);
        for (String bad : new String[] {"RRS", "RA", "RAX", "LPSA"}) {
            assertFalse(bad, Orientation.validCodes(bad));
        }
        try {
            new ModelGeometry("RAR", null);
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("x axis twice"));
        }
        try {
            new ModelGeometry("RAS", new double[] {1, 0, 1});
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("positive"));
        }
    }

    @Test
    public void wrongGridsAreRefused() throws Exception {
        Volume image = Nifti.read(dir("ras-2mm-to-1.5mm").resolve("image.nii.gz"));
        ModelGrid g = ModelGrid.plan(image.dims(), image.geometry(), new ModelGeometry("RAS", new double[] {1.5, 1.5, 1.5}));
        Volume other = Nifti.read(dir("ras-to-lps").resolve("image.nii.gz"));
        try {
            g.toModel(other, ModelGrid.Interpolation.LINEAR);
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("native grid"));
        }
        try {
            g.toNative(image, ModelGrid.Interpolation.LINEAR);
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("model grid"));
        }
        JsonObject rec = g.record();
        assertTrue(rec.get("resampled").getAsBoolean());
        assertEquals("RAS", rec.getAsJsonObject("model").get("orientation").getAsString());
        assertTrue(g.describe(), g.describe().contains("resampled to 1.5x1.5x1.5 mm"));
    }

    /** The algorithm packages do not import ImageJ, SciJava or picocli. */
    @Test
    public void noUserInterfaceImports() throws Exception {
        Path src = Paths.get("src", "main", "java", "io", "github", "ies", "geometry");
        try (Stream<Path> s = Files.list(src)) {
            for (Path p : s.toList()) {
                String text = Files.readString(p);
                for (String f : new String[] {"import ij.", "import org.scijava", "import picocli", "import net.imagej"}) {
                    assertFalse(p + " imports " + f, text.contains(f));
                }
            }
        }
    }

    /**
     * A header without orientation (qform and sform codes 0, e.g. an image opened in Fiji without NIfTI geometry) is
     * taken to be stored in the declared orientation: an LPS declaration reorients nothing (before, its diagonal
     * affine was read as RAS and flipped twice), the spacing is still honoured, and the summary says so.
     */
    @Test
    public void aHeaderWithoutOrientationIsTakenAsTheDeclaredOne() {
        io.github.ies.io.Geometry g = io.github.ies.io.Geometry.spacingOnly(new double[] {2, 2, 2});
        int[] dims = {6, 5, 4};
        ModelGrid same = ModelGrid.plan(dims, g, new ModelGeometry("LPS", new double[] {2, 2, 2}));
        assertTrue(same.identity());
        assertTrue(same.orientationAssumed());
        assertTrue(same.worthSaying());
        assertTrue(same.describe(), same.describe().startsWith("the inputs' header gives no orientation"));
        assertTrue(same.record().has("native_orientation"));
        ModelGrid finer = ModelGrid.plan(dims, g, new ModelGeometry("LPS", new double[] {1, 1, 1}));
        assertFalse(finer.reoriented());
        assertTrue(finer.resampled());
        assertArrayEquals(new int[] {11, 9, 7}, finer.modelDims());
        ModelGrid none = ModelGrid.plan(dims, g, new ModelGeometry(null, new double[] {2, 2, 2}));
        assertFalse(none.orientationAssumed());
        assertFalse(none.worthSaying());
    }
}
