package io.github.ies.fiji;

import ij.ImagePlus;
import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

import java.io.File;
import java.io.IOException;

/**
 * Opens a NIfTI-1/2 volume ({@code .nii}, {@code .nii.gz}, {@code .hdr/.img}) with IES's codec as a 32-bit stack
 * (x = i, y = j, slice = k), calibrated in mm, keeping the full NIfTI geometry in the image's properties so that
 * {@link SaveNiftiCommand} writes it back unchanged.
 */
@Plugin(type = Command.class, menuPath = "Plugins>Instance Saliency>Open NIfTI", label = "Open NIfTI (IES)",
        headless = true)
public class OpenNiftiCommand extends ContextCommand {

    @Parameter(label = "NIfTI file", style = "open,extensions:nii/nii.gz/hdr/hdr.gz/img/img.gz")
    private File file;

    @Parameter(label = "Volume (0-based, for 4D files)", min = "0", required = false)
    private int volume = 0;

    @Parameter(type = ItemIO.OUTPUT)
    private ImagePlus image;

    @Parameter(required = false)
    private LogService log;

    @Override
    public void run() {
        if (file == null) {
            cancel("Open NIfTI: no NIfTI file given (file=...)");
            return;
        }
        try {
            Volume v = Nifti.read(file.toPath(), volume);
            image = VolumeImages.toImagePlus(v, titleOf(file.getName()));
        } catch (IOException | RuntimeException e) {
            Failures.log(log, "Open NIfTI: cannot open " + file + ": " + e.getMessage());
            cancel("Open NIfTI: cannot open " + file + ": " + e.getMessage());
        }
    }

    public ImagePlus getImage() {
        return image;
    }

    static String titleOf(String name) {
        return name.replaceAll("(?i)\\.(nii|hdr|img)(\\.gz)?$", "");
    }
}
