package io.github.ies.phantom;

import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;

/**
 * Renders the montage {@code docs/images/demo-montage.png} of a phantom folder: rows axial, coronal, sagittal;
 * columns FLAIR, MPRAGE, FLAIR with the ground-truth lesion outline; in the project's display convention
 * ({@link io.github.ies.geometry.DisplayOrientation}: radiological, orientation letters at the edges, a mm scale bar), drawn
 * by the report's {@link io.github.ies.report.SlicePanel}. Usage: {@code DemoMontage SUBJECT_DIR OUT.png [I J K]} (the
 * sagittal, coronal and axial slice indices; by default the planes cutting the most lesions); see docs/phantom.md.
 */
public final class DemoMontage {

    private static final int PANEL = 300;

    public static void main(String[] args) throws Exception {
        Path dir = Paths.get(args.length > 0 ? args[0] : "test-images/demo");
        Path out = Paths.get(args.length > 1 ? args[1] : "docs/images/demo-montage.png");
        Volume flair = Nifti.read(dir.resolve("flair.nii.gz"));
        Volume t1 = Nifti.read(dir.resolve("mprage.nii.gz"));
        Volume les = Nifti.read(dir.resolve("lesions.nii.gz"));
        int[] d = flair.dims();
        int[] slice = busiestSlices(les);
        if (args.length > 4) {
            for (int a = 0; a < 3; a++) slice[a] = Integer.parseInt(args[2 + a]);
        }
        double[] sp = flair.spacing();
        double fov = Math.max(d[0] * sp[0], Math.max(d[1] * sp[1], d[2] * sp[2]));
        double[] fw = {0, percentile(flair, 0.995)}, tw = {0, percentile(t1, 0.995)};
        boolean[] outline = new boolean[les.size()];
        for (int v = 0; v < outline.length; v++) outline[v] = les.data()[v] != 0;
        io.github.ies.geometry.DisplayOrientation.Plane[] planes = io.github.ies.geometry.DisplayOrientation.Plane.values();
        String[] rows = {"axial k=" + slice[2], "coronal j=" + slice[1], "sagittal i=" + slice[0]};
        String[] cols = {"FLAIR", "MPRAGE", "FLAIR + lesion outline"};
        // a realistic-style phantom: its FLAIR hyperintensities that are not lesions outlined too (cyan)
        boolean[] confOutline = null;
        if (Files.isRegularFile(dir.resolve(Phantom.CONFOUNDERS))) {
            float[] cv = Nifti.read(dir.resolve(Phantom.CONFOUNDERS)).data();
            confOutline = new boolean[cv.length];
            for (int v = 0; v < cv.length; v++) confOutline[v] = cv[v] != 0;
            cols[2] = "lesions (red), not lesions (cyan)";
        }
        int pad = 6, header = 22;
        BufferedImage img = new BufferedImage(3 * PANEL + 4 * pad, 3 * (PANEL + header) + pad, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.BLACK);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) {
                io.github.ies.report.SlicePanel p = new io.github.ies.report.SlicePanel();
                p.anatomy = c == 1 ? t1 : flair;
                p.window = c == 1 ? tw : fw;
                if (c == 2) p.outlines.add(new io.github.ies.report.SlicePanel.Outline(outline, new Color(0xFF3030)));
                if (c == 2 && confOutline != null) {
                    p.outlines.add(new io.github.ies.report.SlicePanel.Outline(confOutline, new Color(0x30D0FF)));
                }
                p.plane = planes[r];
                p.through = slice;
                p.fovMm = fov;
                p.sizePx = PANEL;
                p.ticks = false;
                int x0 = pad + c * (PANEL + pad), y0 = r * (PANEL + header) + header;
                p.draw(g, x0, y0);
                g.setColor(Color.WHITE);
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
                g.drawString(cols[c] + "  (" + rows[r] + ")", x0 + 4, y0 - 6);
            }
        }
        g.dispose();
        Files.createDirectories(out.toAbsolutePath().getParent());
        ImageIO.write(img, "png", out.toFile());
        System.out.println("wrote " + out + " (" + img.getWidth() + "x" + img.getHeight() + ", slices i=" + slice[0] + " j=" + slice[1]
                + " k=" + slice[2] + ", " + io.github.ies.geometry.DisplayOrientation.of(flair.geometry()).describe() + ")");
    }


    /**
     * The i, j and k planes cutting the most distinct lesions (ties: the most lesion voxels); the sagittal one off
     * the midline, the axial one at the level of the ventricle bodies; centre slices when there is no lesion.
     */
    static int[] busiestSlices(Volume les) {
        int[] d = les.dims();
        int[] label = labels(les);
        int nLabels = 0;
        for (int l : label) nLabels = Math.max(nLabels, l);
        boolean[][][] seen = {new boolean[d[0]][nLabels + 1], new boolean[d[1]][nLabels + 1],
            new boolean[d[2]][nLabels + 1]};
        long[][] score = {new long[d[0]], new long[d[1]], new long[d[2]]};
        for (int k = 0; k < d[2]; k++)
            for (int j = 0; j < d[1]; j++)
                for (int i = 0; i < d[0]; i++) {
                    int l = label[les.index(i, j, k)];
                    if (l == 0) continue;
                    int[] c = {i, j, k};
                    for (int a = 0; a < 3; a++) {
                        score[a][c[a]]++;
                        if (!seen[a][c[a]][l]) {
                            seen[a][c[a]][l] = true;
                            score[a][c[a]] += 1_000_000L;
                        }
                    }
                }
        int[] best = {d[0] / 2, d[1] / 2, d[2] / 2};
        for (int a = 0; a < 3; a++) {
            long m = 0;
            for (int s = 0; s < d[a]; s++) {
                // sagittal: off the midline, where a hemisphere (not the falx) is cut
                if (a == 0 && Math.abs(s - d[0] / 2) < d[0] / 7) continue;
                // axial: at the level of the ventricle bodies (0 to 30 mm above the grid centre)
                double zMm = (s - (d[2] - 1) / 2.0) * les.spacing()[2];
                if (a == 2 && (zMm < 0 || zMm > 30)) continue;
                if (score[a][s] > m) {
                    m = score[a][s];
                    best[a] = s;
                }
            }
        }
        return best;
    }

    /** 26-connected component labels of the nonzero voxels (flood fill). */
    private static int[] labels(Volume v) {
        int[] d = v.dims();
        float[] m = v.data();
        int[] label = new int[m.length];
        int[] queue = new int[m.length];
        int next = 0;
        for (int start = 0; start < m.length; start++) {
            if (m[start] == 0 || label[start] != 0) continue;
            next++;
            int head = 0, tail = 0;
            queue[tail++] = start;
            label[start] = next;
            while (head < tail) {
                int p = queue[head++];
                int i = p % d[0], j = (p / d[0]) % d[1], k = p / (d[0] * d[1]);
                for (int c = -1; c <= 1; c++)
                    for (int b = -1; b <= 1; b++)
                        for (int a = -1; a <= 1; a++) {
                            int ni = i + a, nj = j + b, nk = k + c;
                            if (ni < 0 || nj < 0 || nk < 0 || ni >= d[0] || nj >= d[1] || nk >= d[2]) continue;
                            int q = ni + d[0] * (nj + d[1] * nk);
                            if (m[q] != 0 && label[q] == 0) {
                                label[q] = next;
                                queue[tail++] = q;
                            }
                        }
            }
        }
        return label;
    }


    private static double percentile(Volume v, double q) {
        float[] a = v.data();
        int c = 0;
        for (float x : a) if (x != 0) c++;
        float[] nz = new float[c];
        c = 0;
        for (float x : a) if (x != 0) nz[c++] = x;
        Arrays.sort(nz);
        return nz.length == 0 ? 1 : nz[(int) Math.min(nz.length - 1, Math.floor(q * nz.length))];
    }
}
