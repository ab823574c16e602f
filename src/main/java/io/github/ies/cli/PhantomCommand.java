package io.github.ies.cli;

import io.github.ies.phantom.Lesion;
import io.github.ies.phantom.Phantom;
import io.github.ies.phantom.PhantomGenerator;
import io.github.ies.phantom.PhantomSpec;
import io.github.ies.phantom.PhantomStyle;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code ies phantom}: writes a synthetic MS subject (FLAIR, MPRAGE, lesion ground truth, brain mask). */
@Command(name = "phantom", mixinStandardHelpOptions = true,
        description = {"Generate a synthetic MS brain: flair.nii.gz, mprage.nii.gz (int16 with scl_slope), "
                + "lesions.nii.gz and brainmask.nii.gz (uint8), tissues.nii.gz (uint8 tissue labels) and "
                + "phantom.json (seed, lesion list, contrast parameters).",
            "The same seed and options give byte-identical files. Background outside the head is exactly 0 (classic "
                + "style); --style realistic puts Rician noise there and also writes confounders.nii.gz (FLAIR "
                + "hyperintensities that are not lesions)."})
public final class PhantomCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder (created if needed).")
    Path out;

    @Option(names = "--seed", required = true, paramLabel = "S", description = "Random seed (any 64-bit integer).")
    long seed;

    @Option(names = "--shape", paramLabel = "I,J,K",
            description = "Grid size in voxels, each axis 32..512 (default: 96,112,96 for the classic style; for the "
                    + "realistic style a 192x224x192 mm field of view at --spacing: 96,112,96 at 2 mm, 192,224,192 at 1 mm).")
    String shape;

    @Option(names = "--style", paramLabel = "STYLE", defaultValue = "classic",
            description = "classic (default: the demo subject's generator) or realistic (per-lesion FLAIR/MPRAGE "
                    + "contrast with black holes, typical lesion locations, normal FLAIR hyperintensities that are not "
                    + "lesions, bias field, Rician noise in the background; docs/phantom.md).")
    String style;

    @Option(names = "--spacing", paramLabel = "MM", defaultValue = "2",
            description = "Isotropic voxel size in mm (default: ${DEFAULT-VALUE}; use --shape 182,218,182 "
                    + "--spacing 1 for a 1 mm brain; with --style realistic, --spacing 1 alone).")
    double spacing;

    @Option(names = "--lesions", paramLabel = "N", defaultValue = "24",
            description = "Number of lesions to place, 0..200 (default: ${DEFAULT-VALUE}).")
    int lesions;

    @Option(names = "--count", paramLabel = "N", defaultValue = "1",
            description = "Generate N subjects with seeds S, S+1, ..., S+N-1 into DIR/seed-<seed>/ (one JVM, "
                    + "faster than N separate runs; default: ${DEFAULT-VALUE}, which writes into DIR itself).")
    int count;

    @Option(names = {"-q", "--quiet"}, description = "Print nothing on success.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        PhantomSpec ps;
        try {
            PhantomStyle st = PhantomStyle.parse(style);
            int[] grid = shape != null ? parseShape(shape)
                    : st == PhantomStyle.REALISTIC ? PhantomSpec.realisticShape(spacing) : PhantomSpec.DEFAULT_SHAPE;
            ps = new PhantomSpec(seed, grid, spacing, lesions, st);
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            if (shape == null && m.startsWith("shape ")) {      // the grid came from --spacing, not from --shape
                m = "--spacing " + trim(spacing) + " gives " + m + " for the realistic style's 192x224x192 mm field "
                        + "of view: use --spacing 0.4 to 6, or give --shape";
            }
            throw new CommandLine.ParameterException(spec.commandLine(), m);
        }
        if (count < 1 || count > 10000) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--count must be 1..10000, got " + count);
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--out " + out + " exists and is not a folder");
        }
        for (int c = 0; c < count; c++) {            // every target checked before anything is written
            io.github.ies.phantom.Phantom.checkTarget(count == 1 ? out : out.resolve("seed-" + (seed + c)));
        }
        for (int c = 0; c < count; c++) {
            PhantomSpec one = new PhantomSpec(seed + c, ps.shape(), ps.spacing, ps.lesions, ps.style);
            generate(one, count == 1 ? out : out.resolve("seed-" + one.seed));
        }
        return IesCli.EXIT_OK;
    }

    private void generate(PhantomSpec ps, Path dir) throws java.io.IOException {
        long t0 = System.nanoTime();
        Phantom p = PhantomGenerator.generate(ps);
        p.write(dir);
        double secs = (System.nanoTime() - t0) / 1e9;
        if (p.lesions().size() < ps.lesions) {
            spec.commandLine().getErr().printf(Locale.ROOT,
                    "ies phantom: warning: %s: placed %d of %d lesions (not enough white matter in this field of "
                    + "view)%n", dir, p.lesions().size(), ps.lesions);
        }
        if (!quiet) {
            long total = 0;
            for (Lesion l : p.lesions()) total += l.voxels;
            spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s: %dx%dx%d at %s mm, seed %d, %d lesions "
                    + "(%d voxels)%s in %.1f s%n", dir, ps.shape()[0], ps.shape()[1], ps.shape()[2],
                    trim(ps.spacing), ps.seed, p.lesions().size(), total,
                    ps.style == PhantomStyle.CLASSIC ? "" : ", " + ps.style.label + " style", secs);
        }
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    private int[] parseShape(String s) {
        String[] parts = s.split(",");
        if (parts.length != 3) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--shape must be three comma-separated sizes I,J,K, got '" + s + "'");
        }
        int[] r = new int[3];
        for (int a = 0; a < 3; a++) {
            try {
                r[a] = Integer.parseInt(parts[a].trim());
            } catch (NumberFormatException e) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--shape must be three comma-separated integers I,J,K, got '" + s + "'");
            }
        }
        return r;
    }
}
