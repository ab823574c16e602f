package io.github.ies.fiji;

import ij.IJ;
import ij.ImageJ;
import ij.ImagePlus;
import io.github.ies.io.Nifti;
import org.scijava.Context;
import org.scijava.command.CommandService;

import javax.imageio.ImageIO;
import java.awt.Frame;
import java.awt.Rectangle;
import java.awt.Robot;
import java.awt.Window;
import java.io.File;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Screenshots of the ImageJ 1 GUI after Explain Lesions on the demo subject (a manual step, not a test: needs a
 * display, e.g. {@code xvfb-run -s "-screen 0 1600x1000x24" scripts/fiji-screenshots}). Writes docs/images/fiji-*.png.
 */
public final class FijiScreenshots {

    public static void main(String[] args) throws Exception {
        Path demo = Path.of("test-images/demo");
        String lesions = args.length > 0 ? args[0] : "14,21,24";
        new ImageJ(ImageJ.STANDALONE);
        ImagePlus flair = VolumeImages.toImagePlus(Nifti.read(demo.resolve("flair.nii.gz")), "flair");
        ImagePlus mprage = VolumeImages.toImagePlus(Nifti.read(demo.resolve("mprage.nii.gz")), "mprage");
        Context context = new Context(CommandService.class);
        Map<String, Object> in = new HashMap<>();
        in.put("flair", flair);
        in.put("mprage", mprage);
        in.put("ground_truth", demo.resolve("lesions.nii.gz").toString());   // an optional image given as a path
        in.put("model", new File("test-images/models/demo-unet"));
        in.put("device", "cpu");
        in.put("lesions", lesions);
        in.put("samples", 4);
        in.put("methods", "smoothgrad-max,gradcampp");
        in.put("saliency_context", "local");
        in.put("tn_spheres", 3);
        FijiRun m = FijiRun.run(context, ExplainLesionsCommand.class, in);
        if (m.isCanceled()) throw new IllegalStateException(m.getCancelReason());
        ImagePlus gallery = (ImagePlus) m.getOutput("gallery");
        ImagePlus overview = (ImagePlus) m.getOutput("overview");
        ij.macro.Interpreter.batchMode = false;   // FijiRun registers its inputs as batch-mode images; windows from here on
        gallery.show();
        int mid = gallery.getNSlices() / 2 + 1;
        gallery.setPosition(3, mid, 1);
        IJ.run(gallery, "Set... ", "zoom=600 x=" + gallery.getWidth() / 2 + " y=" + gallery.getHeight() / 2);
        waitForWindow(gallery).setLocation(0, 110);
        overview.show();
        io.github.ies.instances.LesionTable t = ((ExplainLesionsCommand) m.getDelegateObject()).getTable();
        int row = t.rowOfId(Integer.parseInt(lesions.split(",")[0].trim()));
        int[] centroid = {(int) Math.round(t.getDouble(row, "centroid_i")), (int) Math.round(t.getDouble(row, "centroid_j")),
                (int) Math.round(t.getDouble(row, "centroid_k"))};
        int z = VolumeImages.viewOf(flair).screen(centroid)[2];     // the lesion's slice in the (radiological) view
        overview.setPosition(2, z + 1, 1);
        IJ.run(overview, "Set... ", "zoom=300 x=" + overview.getWidth() / 2 + " y=" + overview.getHeight() / 2);
        waitForWindow(overview).setLocation(420, 110);
        for (Frame f : Frame.getFrames()) {
            if (f.getTitle().equals("ROI Manager")) f.setBounds(820, 110, 430, 330);
            if (f.getTitle().equals(LesionResults.TITLE)) f.setBounds(0, 560, 1580, 420);
        }
        Thread.sleep(3000);
        File dir = new File("docs/images");
        dir.mkdirs();
        // the gallery is a composite with the maps over the anatomy: FLAIR alone, FLAIR + SmoothGrad FLAIR, FLAIR + Grad-CAM++
        ij.CompositeImage comp = (ij.CompositeImage) gallery;
        for (int c : new int[] {1, 3, 5}) {
            StringBuilder active = new StringBuilder();
            for (int q = 1; q <= gallery.getNChannels(); q++) active.append(q == 1 || q == c ? '1' : '0');
            comp.setActiveChannels(active.toString());
            gallery.setPosition(c, mid, 1);
            gallery.updateAndDraw();
            Thread.sleep(800);
            grab(gallery.getWindow(), new File(dir, "fiji-gallery-c" + c + ".png"));
        }
        StringBuilder first = new StringBuilder();
        for (int q = 1; q <= gallery.getNChannels(); q++) first.append(q == 1 || q == 3 ? '1' : '0');
        comp.setActiveChannels(first.toString());
        gallery.setPosition(3, mid, 1);
        gallery.updateAndDraw();
        grab(overview.getWindow(), new File(dir, "fiji-overview.png"));
        for (Frame f : Frame.getFrames()) {
            if (!f.isVisible()) continue;
            if (f.getTitle().equals("ROI Manager")) grab(f, new File(dir, "fiji-roi-manager.png"));
            if (f.getTitle().equals(LesionResults.TITLE)) grab(f, new File(dir, "fiji-lesions-table.png"));
        }
        Rectangle screen = new Rectangle(java.awt.Toolkit.getDefaultToolkit().getScreenSize());
        ImageIO.write(new Robot().createScreenCapture(screen), "png", new File(dir, "fiji-desktop.png"));
        context.dispose();
        System.exit(0);
    }

    /** The image's window, once ImageJ has made it (show() returns before, on a busy machine). */
    private static ij.gui.ImageWindow waitForWindow(ImagePlus imp) throws InterruptedException {
        for (int i = 0; i < 200 && imp.getWindow() == null; i++) Thread.sleep(100);
        if (imp.getWindow() == null) throw new IllegalStateException("no window for " + imp.getTitle() + " after 20 s");
        return imp.getWindow();
    }

    private static void grab(Window w, File f) throws Exception {
        if (w == null) return;
        w.toFront();
        Thread.sleep(800);
        ImageIO.write(new Robot().createScreenCapture(w.getBounds()), "png", f);
        System.out.println("wrote " + f);
    }
}
