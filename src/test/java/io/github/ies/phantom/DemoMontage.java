package io.github.ies.phantom;

import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
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
 * columns FLAIR, MPRAGE, FLAIR with the ground-truth lesion outline. Radiological convention (subject's right on
 * the image's left). Usage: {@code DemoMontage SUBJECT_DIR OUT.png [I J K]} (the sagittal, coronal and axial slice
 * indices; by default the planes cutting the most lesions); see docs/phantom.md.
 */
public final class DemoMontage {

    private static final int ZOOM = 3;

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
        double fMax = percentile(flair, 0.995), tMax = percentile(t1, 0.995);
        String[] rows = {"axial k=" + slice[2], "coronal j=" + slice[1], "sagittal i=" + slice[0]};
        int[][] tileSize = {{d[0], d[1]}, {d[0], d[2]}, {d[1], d[2]}};
        int tileW = 0, tileH = 0;
        for (int[] t : tileSize) {
            tileW = Math.max(tileW, t[0] * ZOOM);
            tileH = Math.max(tileH, t[1] * ZOOM);
        }
        int pad = 6, header = 26;
        BufferedImage img = new BufferedImage(3 * tileW + 4 * pad, 3 * (tileH + header) + pad, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.BLACK);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 15));
        String[] cols = {"FLAIR", "MPRAGE", "FLAIR + lesion outline"};
        for (int r = 0; r < 3; r++) {
            int w = tileSize[r][0], h = tileSize[r][1];
            float[] f = plane(flair, r, slice), t = plane(t1, r, slice), m = plane(les, r, slice);
            for (int c = 0; c < 3; c++) {
                int x0 = pad + c * (tileW + pad) + (tileW - w * ZOOM) / 2;
                int y0 = r * (tileH + header) + header + (tileH - h * ZOOM) / 2;
                float[] src = c == 1 ? t : f;
                double max = c == 1 ? tMax : fMax;
                for (int y = 0; y < h * ZOOM; y++) {
                    for (int x = 0; x < w * ZOOM; x++) {
                        double v = bilinear(src, w, h, (x + 0.5) / ZOOM - 0.5, (y + 0.5) / ZOOM - 0.5);
                        int gray = (int) Math.max(0, Math.min(255, Math.round(255 * v / max)));
                        img.setRGB(x0 + x, y0 + y, gray * 0x010101);
                    }
                }
                if (c == 2) {
                    for (int y = 0; y < h * ZOOM; y++) {
                        for (int x = 0; x < w * ZOOM; x++) {
                            if (!inMask(m, w, h, x, y)) continue;
                            if (inMask(m, w, h, x - 1, y) && inMask(m, w, h, x + 1, y) && inMask(m, w, h, x, y - 1)
                                    && inMask(m, w, h, x, y + 1)) continue;
                            img.setRGB(x0 + x, y0 + y, 0xFF3030);
                        }
                    }
                }
                g.setColor(Color.WHITE);
                g.drawString(cols[c] + "  (" + rows[r] + ")", pad + c * (tileW + pad) + 4, r * (tileH + header) + 18);
                g.setColor(new Color(255, 220, 80));
                if (r < 2) g.drawString("R", x0 + 4, y0 + 16);
                else g.drawString("A", x0 + 4, y0 + 16);
            }
        }
        g.setStroke(new BasicStroke(1));
        g.dispose();
        Files.createDirectories(out.toAbsolutePath().getParent());
        ImageIO.write(img, "png", out.toFile());
        System.out.println("wrote " + out + " (" + img.getWidth() + "x" + img.getHeight() + "), slices i,j,k = "
                + Arrays.toString(slice));
    }

    private static boolean inMask(float[] m, int w, int h, int x, int y) {
        if (x < 0 || y < 0 || x >= w * ZOOM || y >= h * ZOOM) return false;
        return bilinear(m, w, h, (x + 0.5) / ZOOM - 0.5, (y + 0.5) / ZOOM - 0.5) >= 0.5;
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

    /** Plane r (0 axial, 1 coronal, 2 sagittal) as a row-major image with the display orientation applied. */
    static float[] plane(Volume v, int r, int[] slice) {
        int[] d = v.dims();
        int w, h;
        float[] out;
        if (r == 0) {
            w = d[0]; h = d[1];
            out = new float[w * h];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) out[x + w * y] = v.get(d[0] - 1 - x, d[1] - 1 - y, slice[2]);
        } else if (r == 1) {
            w = d[0]; h = d[2];
            out = new float[w * h];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) out[x + w * y] = v.get(d[0] - 1 - x, slice[1], d[2] - 1 - y);
        } else {
            w = d[1]; h = d[2];
            out = new float[w * h];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) out[x + w * y] = v.get(slice[0], d[1] - 1 - x, d[2] - 1 - y);
        }
        return out;
    }

    private static double bilinear(float[] a, int w, int h, double x, double y) {
        x = Math.max(0, Math.min(w - 1, x));
        y = Math.max(0, Math.min(h - 1, y));
        int x0 = (int) Math.floor(x), y0 = (int) Math.floor(y);
        int x1 = Math.min(w - 1, x0 + 1), y1 = Math.min(h - 1, y0 + 1);
        double fx = x - x0, fy = y - y0;
        double top = a[x0 + w * y0] * (1 - fx) + a[x1 + w * y0] * fx;
        double bot = a[x0 + w * y1] * (1 - fx) + a[x1 + w * y1] * fx;
        return top * (1 - fy) + bot * fy;
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
