package io.github.ies.fiji;

import ij.ImagePlus;
import io.github.ies.io.Nifti;
import io.github.ies.io.NiftiDataType;
import io.github.ies.io.Volume;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.widget.FileWidget;

import java.io.File;
import java.io.IOException;

/**
 * Saves a single-channel, single-frame stack as NIfTI (gzipped when the name ends in {@code .gz}). An image opened
 * with {@link OpenNiftiCommand} (or produced by IES) keeps its sform/qform; any other image gets an axis-aligned
 * geometry from its calibration.
 */
@Plugin(type = Command.class, menuPath = "Plugins>Instance Saliency>Save as NIfTI", label = "Save as NIfTI (IES)",
        headless = true)
public class SaveNiftiCommand extends ContextCommand {

    @Parameter(label = "Image")
    private ImagePlus image;

    @Parameter(label = "Output file (.nii or .nii.gz)", style = FileWidget.SAVE_STYLE)
    private File file;

    @Parameter(label = "Data type", choices = {"float32", "int16", "int32", "uint8"})
    private String datatype = "float32";

    @Parameter(required = false)
    private LogService log;

    @Override
    public void run() {
        if (image == null || file == null) {
            cancel("An image and an output file are required");
            return;
        }
        try {
            Volume v = CommandSupport.volume(image, "image");
            // an image without NIfTI geometry is written with the geometry IES assumes for it: say so
            String assumed = VolumeImages.assumption(image, "image");
            if (assumed != null && log != null) log.warn("Save as NIfTI: " + assumed + "; the file gets that affine");
            Nifti.write(v, file.toPath(), NiftiDataType.fromLabel(datatype));
        } catch (IOException | RuntimeException e) {
            Failures.log(log, "Save as NIfTI: " + e.getMessage());
            cancel("Cannot save " + image.getTitle() + " to " + file + ": " + e.getMessage());
        }
    }
}
