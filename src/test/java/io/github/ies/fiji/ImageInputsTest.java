package io.github.ies.fiji;

import ij.ImagePlus;
import ij.process.FloatProcessor;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import org.junit.AfterClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.Assert.*;

/**
 * How a value given for an image input becomes an image ({@link ImageInputs}, {@link NiftiPathConverter}): an open
 * image's title or id, an open ImagePlus as SciJava turns it into text (a script passing the object), a NIfTI path read
 * with its affine; and the one-line refusals: a never-shown ImagePlus, a missing or corrupt NIfTI file, an unknown
 * title.
 */
public class ImageInputsTest {

    @ClassRule
    public static TemporaryFolder tmp = new TemporaryFolder();

    @AfterClass
    public static void close() {
        FijiRun.closeAll();
    }

    @Test
    public void titlesIdsAndAnOpenImagePlusAsText() {
        ImagePlus imp = new ImagePlus("sub-01 FLAIR", new FloatProcessor(3, 2));
        FijiRun.open(imp);
        assertSame(imp, ImageInputs.resolve("sub-01 FLAIR", "flair"));
        assertSame(imp, ImageInputs.resolve(Integer.toString(imp.getID()), "flair"));
        assertSame("a script's ImagePlus, turned into text by SciJava", imp, ImageInputs.resolve(imp.toString(), "flair"));
        ImagePlus never = new ImagePlus("never shown", new FloatProcessor(3, 2));
        try {
            ImageInputs.resolve(never.toString(), "mprage");
            fail("an image that was never shown was accepted");
        } catch (IllegalArgumentException e) {
            assertEquals("mprage: the image 'never shown' is not open in ImageJ: give an open image's title (imp.getTitle() after imp.show()) or a NIfTI path",
                    e.getMessage());
        }
        try {
            ImageInputs.resolve("no such title", "flair");
            fail("an unknown title was accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("flair: no open image titled 'no such title'"));
        }
    }

    @Test
    public void niftiPathsKeepTheAffineAndUnreadableOnesSayWhy() throws Exception {
        Path f = tmp.getRoot().toPath().resolve("t1.nii.gz");
        io.github.ies.io.Volume v = FijiCommandsTest.volume(5);
        Nifti.write(v, f, NiftiDataType.FLOAT32);
        ImagePlus imp = ImageInputs.resolve(f.toString(), "mprage");
        assertEquals("t1", imp.getTitle());
        assertArrayEquals(v.geometry().srow[1], VolumeImages.toVolume(imp).geometry().srow[1], 0);
        assertArrayEquals(v.data(), VolumeImages.toVolume(imp).data(), 0f);
        // the converter (macros, scripts) claims .nii/.nii.gz only, and gives a placeholder carrying the reason
        NiftiPathConverter c = new NiftiPathConverter();
        assertFalse(c.canConvert("scan.img", ImagePlus.class));
        assertTrue(c.canConvert(f.toString(), ImagePlus.class));
        Path bad = tmp.getRoot().toPath().resolve("broken.nii.gz");
        Files.write(bad, new byte[] {31, (byte) 139, 8, 0, 1, 2});
        ImagePlus placeholder = c.convert(bad.toString(), ImagePlus.class);
        assertTrue(ImageInputs.error(placeholder), ImageInputs.error(placeholder).startsWith("cannot read " + bad + ": "));
        try {
            CommandSupport.volume(placeholder, "flair");
            fail("a placeholder became a volume");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("flair: cannot read " + bad));
        }
        assertEquals("no such file", ImageInputs.error(ImageInputs.readNifti(tmp.getRoot() + "/gone.nii")).replaceAll(".*: ", ""));
    }
}
