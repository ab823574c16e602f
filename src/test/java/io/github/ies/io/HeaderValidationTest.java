package io.github.ies.io;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.junit.Assert.*;

/**
 * Issue 12, points 4 and 9: header fields that make a wrong geometry. A NaN affine passed the grid check
 * ({@code abs(a - b) > tol} is never true for NaN), a NaN or infinite pixdim gave NaN or infinite volumes, and a
 * quaternion with b = c = d = 1 gave a non-orthonormal affine where nibabel refuses the file. Each is now refused with
 * one line naming the field.
 */
public class HeaderValidationTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    /** A valid float32 NIfTI-1 file (sform and qform code 1, 2 mm), patched. */
    private Path patched(String name, Consumer<ByteBuffer> patch) throws IOException {
        Volume v = Volume.zeros(new int[] {6, 5, 4}, Geometry.axisAligned(new double[] {2, 2, 2}, new double[] {3, 2, 2}));
        v.data()[7] = 1;
        Path p = tmp.getRoot().toPath().resolve(name);
        Nifti.write(v, p, NiftiDataType.FLOAT32);
        byte[] b = Files.readAllBytes(p);
        patch.accept(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN));
        Files.write(p, b);
        return p;
    }

    private static String refusal(Path p) {
        try {
            Nifti.read(p);
            return null;
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    private void refused(Path p, String... fragments) {
        String m = refusal(p);
        assertNotNull(p.getFileName() + " must be refused", m);
        assertTrue(m, m.contains(p.getFileName().toString()));
        assertFalse("one line: " + m, m.contains("\n"));
        for (String f : fragments) assertTrue("'" + m + "' lacks '" + f + "'", m.contains(f));
    }

    @Test
    public void nonFinitePixdimIsRefused() throws Exception {
        refused(patched("nanpix.nii", b -> b.putFloat(80, Float.NaN)), "pixdim[1]", "is NaN", "voxel sizes must be finite");
        refused(patched("infpix.nii", b -> b.putFloat(88, Float.POSITIVE_INFINITY)), "pixdim[3]", "Infinity");
        refused(patched("zeropix.nii", b -> b.putFloat(84, 0f)), "pixdim[2]", "is 0.0");
        // pixdim of a dimension the file does not have is not used: a 2D file may carry anything in pixdim[3]
        Path twoD = patched("twod.nii", b -> {
            b.putShort(40, (short) 2);
            b.putShort(46, (short) 1);
            b.putFloat(88, Float.NaN);
            b.putShort(252, (short) 0);
            b.putShort(254, (short) 0);
        });
        assertNull(refusal(twoD));
        // a negative pixdim is nibabel's "fixable" case: its absolute value is the voxel size
        assertEquals(2.0, Nifti.read(patched("negpix.nii", b -> b.putFloat(80, -2f))).spacing()[0], 0);
    }

    @Test
    public void nanOrInvalidQuaternionIsRefusedWhenTheQformIsInUse() throws Exception {
        refused(patched("nanquat.nii", b -> b.putFloat(256, Float.NaN)), "quatern_b is NaN", "qform_code 1", "set qform_code to 0");
        refused(patched("nanqoff.nii", b -> b.putFloat(272, Float.NaN)), "qoffset_y is NaN");
        refused(patched("badquat.nii", b -> {
            b.putFloat(256, 1f);
            b.putFloat(260, 1f);
            b.putFloat(264, 1f);
        }), "quatern_b, quatern_c, quatern_d = (1.0, 1.0, 1.0) are not a rotation", "b^2+c^2+d^2 = 3.0");
        // with qform_code 0 the quaternion is not used by any reader (nibabel reads such a file too)
        Path unused = patched("unusedquat.nii", b -> {
            b.putFloat(256, 1f);
            b.putFloat(260, 1f);
            b.putFloat(264, 1f);
            b.putShort(252, (short) 0);
        });
        assertNull(refusal(unused));
        // a unit quaternion up to float32 rounding is accepted (nibabel's tolerance: 3 float32 epsilons)
        float c = (float) Math.sqrt(0.5);
        assertNull(refusal(patched("roundquat.nii", b -> {
            b.putFloat(256, c);
            b.putFloat(260, c);
            b.putFloat(264, 0f);
        })));
    }

    @Test
    public void nanOrSingularSformIsRefusedAndNanAffinesNeverMatch() throws Exception {
        refused(patched("nansrow.nii", b -> b.putFloat(280, Float.NaN)), "srow_x[0] is NaN", "sform_code 1");
        refused(patched("infsrow.nii", b -> b.putFloat(308, Float.NEGATIVE_INFINITY)), "srow_y[3] is -Infinity");
        refused(patched("flatsrow.nii", b -> {
            for (int c = 0; c < 4; c++) b.putFloat(312 + 4 * c, 0f);
        }), "sform", "singular");

        // the grid check itself: a NaN anywhere in either affine means "not the same grid"
        Geometry ok = Geometry.axisAligned(new double[] {2, 2, 2}, new double[] {1, 1, 1});
        double[][] s = ok.sformAffine();
        s[0][3] = Double.NaN;
        Geometry nan = new Geometry(ok.spacing, 1, 0, 1, new double[3], new double[3],
                new double[][] {s[0], s[1], s[2]}, ok.xyztUnits);
        assertFalse(nan.sameAffine(ok, 1e-4));
        assertFalse(ok.sameAffine(nan, 1e-4));
        assertFalse(nan.sameAffine(nan, 1e-4));
        assertTrue(ok.sameAffine(ok, 1e-4));
    }

    @Test
    public void uint64IsNamedAndTheMessageSaysWhatToDo() throws Exception {
        Path p = patched("u64.nii", b -> {
            b.putShort(70, (short) 1280);
            b.putShort(72, (short) 64);
        });
        refused(p, "unsupported datatype 1280 (uint64)", "convert the file");
        assertEquals("uint64", NiftiHeader.datatypeName(1280));
    }

    @Test
    public void foldersPipesAndDevicesAreNamedForWhatTheyAre() throws Exception {
        Path dir = tmp.newFolder("adir.nii.gz").toPath();
        refused(dir, "is a folder, not a NIfTI file");
        Path devZero = Path.of("/dev/zero");
        if (Files.exists(devZero)) {
            String m = refusal(devZero);
            assertTrue(m, m.contains("is not a regular file (a pipe, socket or device)"));
        }
        Path fifo = tmp.getRoot().toPath().resolve("fifo.nii");
        if (new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0) {
            String m = refusal(fifo);          // must not block reading the pipe
            assertTrue(m, m.contains("is not a regular file"));
        }
        Path under = tmp.newFile("afile").toPath().resolve("x.nii");
        String m = refusal(under);
        assertTrue(m, m.contains("no such file") && m.contains("is a file, not a folder"));
    }
}
