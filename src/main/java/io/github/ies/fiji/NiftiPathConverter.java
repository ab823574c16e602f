package io.github.ies.fiji;

import ij.ImagePlus;
import org.scijava.Priority;
import org.scijava.convert.AbstractConverter;
import org.scijava.convert.Converter;
import org.scijava.plugin.Plugin;

import java.lang.reflect.Type;

/**
 * Turns a NIfTI path given for an {@link ImagePlus} input (a macro's {@code flair=/data/flair.nii.gz}, headless
 * Fiji's {@code --run "Explain Lesions" 'flair="/data/flair.nii.gz",...'}, a script's string) into the volume read
 * with IES's reader, affine kept. Without it, a path reaches ImageJ 1's {@code new ImagePlus(path)} (SciJava's
 * constructor converter), which cannot read {@code .nii.gz} and gives an empty image ("Stack argument out of
 * range"); with Bio-Formats it would lose the affine. Ranked above imagej-legacy's title converter (normal
 * priority): an open image titled like a path still wins ({@link ImageInputs#openImage}). It claims {@code .nii} and
 * {@code .nii.gz} strings only (other plugins' ImagePlus inputs see it too; {@code .img}/{@code .hdr} are too
 * generic), and for a path it cannot read it gives an empty image carrying the reason, which IES's commands report.
 */
@Plugin(type = Converter.class, priority = Priority.HIGH)
public class NiftiPathConverter extends AbstractConverter<String, ImagePlus> {

    @Override
    public boolean canConvert(Object src, Type dest) {
        return src instanceof String && ImageInputs.isNiiName((String) src) && super.canConvert(src, dest);
    }

    @Override
    public boolean canConvert(Object src, Class<?> dest) {
        return src instanceof String && ImageInputs.isNiiName((String) src) && super.canConvert(src, dest);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T convert(Object src, Class<T> dest) {
        if (!(src instanceof String) || !ImageInputs.isNiiName((String) src)) return null;
        ImagePlus open = ImageInputs.openImage((String) src);
        return (T) (open != null ? open : ImageInputs.readNifti((String) src));
    }

    @Override
    public Class<ImagePlus> getOutputType() {
        return ImagePlus.class;
    }

    @Override
    public Class<String> getInputType() {
        return String.class;
    }
}
