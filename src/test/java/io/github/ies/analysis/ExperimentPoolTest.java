package io.github.ies.analysis;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.Assert.*;

/**
 * Pooling of context and relocation runs over subjects, on tables written by the experiments' own writers
 * ({@link ContextExperiment.Result#detailCsv}, {@link RelocateExperiment.Result#csv}), against values worked out by
 * hand.
 */
public class ExperimentPoolTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    static ContextExperiment.Result context(double spacing, int[] ids, double[][] mean, boolean[][] det) {
        ContextExperiment.Result r = new ContextExperiment.Result();
        int steps = mean.length;
        r.distanceMm = new double[steps];
        for (int s = 0; s < steps; s++) r.distanceMm[s] = s * spacing;
        r.meanScore = mean;
        r.detected = det;
        r.maxScore = new double[steps][ids.length];
        for (int s = 0; s < steps; s++) for (int l = 0; l < ids.length; l++) r.maxScore[s][l] = Math.min(1, mean[s][l] + 0.1);
        for (int id : ids) r.lesions.add(new ContextExperiment.Lesion(id, 10 + id, new int[0]));
        r.threshold = 0.5;
        return r;
    }

    Path folder(String name, String file, String csv) throws Exception {
        Path d = tmp.getRoot().toPath().resolve(name);
        Files.createDirectories(d);
        Files.writeString(d.resolve(file), csv, StandardCharsets.UTF_8);
        return d;
    }

    @Test
    public void contextCurvesPoolEveryLesionOnce() throws Exception {
        // subject a: lesions 3 and 7; subject b: lesion 3 (same id, another subject: another lesion)
        ContextExperiment.Result a = context(2.0, new int[] {3, 7},
                new double[][] {{0.2, 0.6}, {0.7, 0.9}, {0.8, 1.0}}, new boolean[][] {{false, true}, {true, true}, {true, true}});
        ContextExperiment.Result b = context(2.0, new int[] {3},
                new double[][] {{0.1}, {0.3}, {0.9}}, new boolean[][] {{false}, {false}, {true}});
        Path da = folder("seed-1", "context_lesions.csv", a.detailCsv()), db = folder("seed-2", "context_lesions.csv", b.detailCsv());
        ExperimentPool.Context c = ExperimentPool.context(List.of(da, db), List.of("seed-1", "seed-2"), new double[] {0.5, 0.5});
        assertEquals(3, c.lesions.size());
        assertArrayEquals(new double[] {0, 2, 4}, c.distanceMm, 0);
        // step 0: scores 0.2, 0.6, 0.1: mean 0.3, population std sqrt(((-.1)^2 + .3^2 + (-.2)^2) / 3)
        assertEquals(0.3, c.mean(0), 1e-12);
        assertEquals(Math.sqrt((0.01 + 0.09 + 0.04) / 3), c.std(0), 1e-12);
        assertEquals(1, c.nDetected(0));
        assertEquals(2, c.nDetected(1));
        assertEquals(3, c.nDetected(2));
        assertEquals(2, c.allDetectedStep());
        assertEquals(0.5, c.threshold, 0);
        assertEquals("seed-2", c.lesions.get(2).source);
        assertEquals(13, c.lesions.get(2).voxels);
        String csv = c.csv();
        assertTrue(csv, csv.startsWith("step,distance_mm,mean_score,std_score,n_detected,n_lesions,n_sources\r\n0,0.00000,0.300000,"));
        assertTrue(csv, csv.contains("\r\n2,4.00000,0.900000,0.0816497,3,3,2\r\n"));
        assertTrue(c.detailCsv().contains("\r\nseed-2,1,2.00000,3,13,0.300000,0.400000,0\r\n"));
    }

    @Test
    public void contextRunsMustShareStepsAndThreshold() throws Exception {
        ContextExperiment.Result a = context(2.0, new int[] {1}, new double[][] {{0.2}, {0.7}}, new boolean[][] {{false}, {true}});
        ContextExperiment.Result b = context(1.0, new int[] {1}, new double[][] {{0.2}, {0.7}}, new boolean[][] {{false}, {true}});
        Path da = folder("a", "context_lesions.csv", a.detailCsv()), db = folder("b", "context_lesions.csv", b.detailCsv());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExperimentPool.context(List.of(da, db), List.of("a", "b"), null));
        assertTrue(e.getMessage(), e.getMessage().contains("same --steps on the same voxel size"));
        Path dc = folder("c", "context_lesions.csv", a.detailCsv());
        e = assertThrows(IllegalArgumentException.class, () -> ExperimentPool.context(List.of(da, dc), List.of("a", "c"), new double[] {0.5, 0.4}));
        assertTrue(e.getMessage(), e.getMessage().contains("threshold 0.4 differs"));
        Path empty = tmp.newFolder("empty").toPath();
        e = assertThrows(IllegalArgumentException.class, () -> ExperimentPool.context(List.of(empty), List.of("empty"), null));
        assertTrue(e.getMessage(), e.getMessage().contains("has no context_lesions.csv"));
    }

    static RelocateExperiment.Case relocCase(String name, double score, boolean det, double flairPeak) {
        RelocateExperiment.Case c = new RelocateExperiment.Case();
        c.name = name;
        c.centroid = new int[] {1, 2, 3};
        c.meanScore = score;
        c.maxScore = score;
        c.detected = det;
        c.peaks.put("smoothgrad-max_FLAIR_peak_pos", flairPeak);
        return c;
    }

    @Test
    public void relocationCasesPoolIntoOneTableAndASummary() throws Exception {
        RelocateExperiment.Result a = new RelocateExperiment.Result(), b = new RelocateExperiment.Result(), c = new RelocateExperiment.Result();
        a.lesionId = 4;
        a.cases.add(relocCase("original", 0.9, true, 2.0));
        a.cases.add(relocCase("background", 0.1, false, 1.0));
        b.lesionId = 2;
        b.cases.add(relocCase("original", 0.8, true, 4.0));
        b.cases.add(relocCase("background", 0.6, true, 3.0));
        c.lesionId = 9;
        c.cases.add(relocCase("original", 0.7, true, 6.0));
        c.cases.add(relocCase("background", 0.2, false, 5.0));
        Path da = folder("s1", "relocate.csv", a.csv()), db = folder("s2", "relocate.csv", b.csv()), dc = folder("s3", "relocate.csv", c.csv());
        ExperimentPool.Relocate r = ExperimentPool.relocate(List.of(da, db, dc), List.of("s1", "s2", "s3"));
        assertEquals(6, r.rows.size());
        assertEquals(List.of("original", "background"), r.cases());
        String csv = r.csv();
        assertTrue(csv, csv.startsWith("source,case,lesion_id,"));
        assertTrue(csv, csv.contains("\r\ns2,background,2,"));
        String sum = r.summaryCsv();
        assertTrue(sum, sum.startsWith("case,n,detected,mean_score_median,mean_score_min,mean_score_max,smoothgrad-max_FLAIR_peak_pos_median\r\n"));
        assertTrue(sum, sum.contains("\r\noriginal,3,3,0.800000,0.700000,0.900000,4.00000\r\n"));
        assertTrue(sum, sum.contains("\r\nbackground,3,1,0.200000,0.100000,0.600000,3.00000\r\n"));
    }
}
