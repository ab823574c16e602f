package io.github.ies.saliency;

import ai.djl.Device;
import io.github.ies.instances.ConnectedComponents;
import io.github.ies.instances.Connectivity;
import io.github.ies.instances.Labeling;
import io.github.ies.io.Nifti;
import io.github.ies.io.Volume;
import io.github.ies.model.ModelBundle;
import io.github.ies.model.Segmenter;
import io.github.ies.model.TorchModel;
import io.github.ies.model.TorchRuntime;
import org.junit.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.Assert.*;

/**
 * The split of one copy's work between workers: known answers, the invariants (every item once, in order, loads
 * within one item's cost), and the maps of the demo model equal bit for bit whatever the split and the workers.
 */
public class VjpSchedulerTest {

    private static final double F = VjpScheduler.FORWARD;

    private static Box cube(int side) { return new Box(new int[3], new int[] {side, side, side}); }

    private static VjpScheduler.Task task(Box unit, int firstVoxel, int items) {
        List<VjpItem> it = new ArrayList<>();
        for (int i = 0; i < items; i++) it.add(new VjpItem(0, firstVoxel + i));
        return new VjpScheduler.Task(unit, it);
    }

    private static List<Integer> voxels(VjpScheduler.Task t) {
        List<Integer> v = new ArrayList<>();
        for (VjpItem it : t.items) v.add(it.voxel());
        return v;
    }

    /** One task of 10 items on 1000 voxels, two workers: two halves, equal loads of a forward pass and 5 items. */
    @Test
    public void oneTaskIsHalved() {
        VjpScheduler.Split s = VjpScheduler.split(List.of(task(cube(10), 0, 10)), 2);
        assertEquals(2, s.pieces.size());
        assertEquals(List.of(0, 1, 2, 3, 4), voxels(s.pieces.get(0)));
        assertEquals(List.of(5, 6, 7, 8, 9), voxels(s.pieces.get(1)));
        assertArrayEquals(new int[] {0, 1}, s.worker);
        assertEquals(1000 * (F + 5), s.load[0], 0);
        assertEquals(1000 * (F + 5), s.load[1], 0);
    }

    /**
     * Tasks of 8 and 2 items on 1000 voxels: the old split gave 9,500 against 3,500 (whole tasks); the equal-cost
     * split cuts the first task after 6 items: 1000 x (1.5 + 6) = 7,500 against 1000 x (1.5 + 2 + 1.5 + 2) = 7,000,
     * the best an item boundary allows (5 items: 6,500 against 8,000).
     */
    @Test
    public void aLongTaskIsCutAtTheBestItem() {
        List<VjpScheduler.Task> tasks = List.of(task(cube(10), 0, 8), task(cube(10), 100, 2));
        VjpScheduler.Split old = VjpScheduler.byHalves(tasks, 2);
        assertEquals(9500, Math.max(old.load[0], old.load[1]), 0);
        assertEquals(3500, Math.min(old.load[0], old.load[1]), 0);
        VjpScheduler.Split s = VjpScheduler.split(tasks, 2);
        assertEquals(3, s.pieces.size());
        assertEquals(List.of(0, 1, 2, 3, 4, 5), voxels(s.pieces.get(0)));
        assertEquals(List.of(6, 7), voxels(s.pieces.get(1)));
        assertEquals(List.of(100, 101), voxels(s.pieces.get(2)));
        assertArrayEquals(new int[] {0, 1, 1}, s.worker);
        assertEquals(7500, s.load[0], 0);
        assertEquals(7000, s.load[1], 0);
    }

    /**
     * The case in miniature: boxes of 80^3 and 64x80x80 voxels, whole tasks that cannot be balanced
     * (two of 30 and 20 items): the equal-cost split is within one item's cost, and cheaper than the old one.
     */
    @Test
    public void boxesOfDifferentSizes() {
        Box big = cube(80), small = new Box(new int[3], new int[] {64, 80, 80});
        List<VjpScheduler.Task> tasks = List.of(task(big, 0, 30), task(small, 1000, 20));
        VjpScheduler.Split s = VjpScheduler.split(tasks, 2);
        assertInvariants(tasks, s);
        // by hand: 80^3 = 512,000; 64x80x80 = 409,600; worker 0 takes m items of the first task, worker 1 the
        // other 30 - m and the second task: 512,000 (1.5 + m) against 512,000 (31.5 - m) + 409,600 x 21.5;
        // m = 24: 13,056,000 against 3,840,000 + 8,806,400 = 12,646,400 (m = 23: 12,544,000 against 13,158,400)
        assertEquals(List.of(0, 1), List.of(s.worker[0], s.worker[1]));
        assertEquals(24, s.pieces.get(0).items.size());
        assertEquals(13_056_000, s.load[0], 0);
        assertEquals(12_646_400, s.load[1], 0);
        assertTrue("within one item", s.load[0] - s.load[1] <= 512_000);
        VjpScheduler.Split old = VjpScheduler.byHalves(tasks, 2);
        assertEquals(512_000 * 31.5, Math.max(old.load[0], old.load[1]), 0);
        assertTrue(Math.max(s.load[0], s.load[1]) < Math.max(old.load[0], old.load[1]));
    }

    /** One worker, or fewer items than workers: nothing is cut needlessly, nothing is lost. */
    @Test
    public void edgeCases() {
        List<VjpScheduler.Task> tasks = List.of(task(cube(4), 0, 3), task(cube(6), 10, 1));
        VjpScheduler.Split one = VjpScheduler.split(tasks, 1);
        assertEquals(tasks, one.pieces);
        assertArrayEquals(new int[] {0, 0}, one.worker);
        List<VjpScheduler.Task> one1 = List.of(task(cube(8), 0, 1));
        VjpScheduler.Split single = VjpScheduler.split(one1, 3);
        assertEquals(1, single.pieces.size());
        assertInvariants(one1, single);
        List<VjpScheduler.Task> two = List.of(task(cube(8), 0, 2));
        VjpScheduler.Split s = VjpScheduler.split(two, 4);
        assertInvariants(two, s);
        assertEquals(2, s.pieces.size());
    }

    /**
     * Random plans (1-12 tasks of 1-60 items on boxes of 8^3 to 80^3 voxels, 2-4 workers), for the equal-cost split,
     * the old one and the one a run uses: every item exactly once, in order, each piece consecutive items of one task;
     * at most w - 1 tasks cut. The equal-cost largest load is at most an equal share plus w pieces of one item and a
     * forward pass, and the run's largest load is neither above the equal-cost one nor the old split's.
     */
    @Test
    public void randomPlansKeepTheInvariants() {
        SplittableRandom r = new SplittableRandom(25);
        int withinOneItem = 0, oldBetter = 0, cases = 2000, counted = 0;
        double gain = 0;
        for (int c = 0; c < cases; c++) {
            int n = 1 + r.nextInt(12), w = 2 + r.nextInt(3), next = 0;
            List<VjpScheduler.Task> tasks = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int items = 1 + r.nextInt(60);
                tasks.add(task(new Box(new int[3], new int[] {8 + r.nextInt(73), 8 + r.nextInt(73), 8 + r.nextInt(73)}), next, items));
                next += items;
            }
            VjpScheduler.Split e = VjpScheduler.equalCost(tasks, w), old = VjpScheduler.byHalves(tasks, w), s = VjpScheduler.split(tasks, w);
            assertInvariants(tasks, e);
            assertInvariants(tasks, old);
            assertInvariants(tasks, s);
            double max = VjpScheduler.max(e.load), min = Double.MAX_VALUE, item = 0;
            for (double v : e.load) min = Math.min(min, v);
            for (VjpScheduler.Task t : tasks) item = Math.max(item, t.unit.voxels());
            assertTrue("case " + c, VjpScheduler.max(s.load) <= Math.min(max, VjpScheduler.max(old.load)));
            if (next < w) continue;   // fewer items than workers: some worker has nothing to do
            counted++;
            double total = 0;
            for (VjpScheduler.Task t : tasks) total += t.cost();
            // each worker but the last stops only when its next piece (an item, or a forward pass and an item) does not
            // fit; the cut pieces' forward passes (at most w - 1) come on top of an equal share
            assertTrue("case " + c + ": largest load " + max + " against an equal share " + total / w,
                    max <= total / w + w * item * (1 + F));
            if (max - min <= item) withinOneItem++;
            if (VjpScheduler.max(old.load) < max) oldBetter++;
            gain += VjpScheduler.max(old.load) / VjpScheduler.max(s.load);
        }
        System.out.printf("VjpSchedulerTest: equal-cost loads within one item's cost in %d of %d random plans; the old split's "
                + "largest load smaller in %d; old / new largest load %.3f on average%n", withinOneItem, counted, oldBetter, gain / counted);
    }

    /** Every item exactly once, in order; pieces are consecutive items of one task; at most w - 1 extra pieces. */
    static void assertInvariants(List<VjpScheduler.Task> tasks, VjpScheduler.Split s) {
        assertEquals(s.pieces.size(), s.worker.length);
        int p = 0;
        for (VjpScheduler.Task t : tasks) {
            List<VjpItem> got = new ArrayList<>();
            while (got.size() < t.items.size()) {
                assertTrue("pieces left for " + t.unit, p < s.pieces.size());
                VjpScheduler.Task piece = s.pieces.get(p++);
                assertSame("a piece runs on its task's box", t.unit, piece.unit);
                assertFalse("no empty piece", piece.items.isEmpty());
                got.addAll(piece.items);
            }
            assertEquals("every item of the task once, in order", t.items, got);
        }
        assertEquals("no piece besides the tasks' items", p, s.pieces.size());
        assertTrue("at most w - 1 cuts", s.pieces.size() <= tasks.size() + s.workers() - 1);
        for (int k : s.worker) assertTrue(k >= 0 && k < s.workers());
    }

    /**
     * The demo model on the demo subject, three lesions of different sizes (per-cell boxes of several sizes), patch
     * context, SmoothGrad max and mean, N = 2: the maps with the equal-cost split on 2 workers, the old split on 2
     * workers, and one worker are equal bit for bit.
     */
    @Test
    public void demoMapsAreBitIdenticalWhateverTheSplit() throws Exception {
        TorchRuntime.configure(2);
        Path root = Path.of(System.getProperty("user.dir"));
        ModelBundle bundle = ModelBundle.load(root.resolve("test-images/models/demo-unet"));
        Volume f = Nifti.read(root.resolve("test-images/demo/flair.nii.gz")), m = Nifti.read(root.resolve("test-images/demo/mprage.nii.gz"));
        Volume gt = Nifti.read(root.resolve("test-images/demo/lesions.nii.gz"));
        int[] dims = f.dims();
        float[] x = Segmenter.normalize(bundle, f, m);
        Labeling lab = ConnectedComponents.label(gt, Connectivity.of(18));
        // the smallest lesion and those at a quarter and at a third of the sizes (several cells, several box sizes;
        // the largest ones would take minutes on 2 shared cores)
        List<Integer> ids = new ArrayList<>();
        for (int id = 1; id <= lab.count(); id++) ids.add(id);
        ids.sort((p, q) -> Integer.compare(lab.voxels(p), lab.voxels(q)));
        List<Target> targets = new ArrayList<>();
        for (int id : List.of(ids.get(0), ids.get(ids.size() / 4), ids.get(ids.size() / 3))) {
            boolean[] mask = new boolean[lab.labels().length];
            for (int i = 0; i < mask.length; i++) mask[i] = lab.labels()[i] == id;
            targets.add(Target.ofNifti(id, mask, dims));
        }
        VjpScheduler.Strategy before = VjpScheduler.strategy;
        Map<String, Map<Integer, LesionMaps>> runs = new LinkedHashMap<>();
        try (TorchModel tm = TorchModel.load(bundle, Device.cpu(), true)) {
            for (String mode : List.of("equal-cost, 2 workers", "halves, 2 workers", "1 worker")) {
                VjpScheduler.strategy = mode.startsWith("halves") ? VjpScheduler.Strategy.HALVES : VjpScheduler.Strategy.EQUAL_COST;
                SaliencySettings o = SaliencySettings.builder().context(SaliencyContext.PATCH).samples(2).seed(3)
                        .workers(mode.startsWith("1") ? 1 : 2)
                        .methods(java.util.Set.of(SaliencyMethods.SMOOTHGRAD_MAX, SaliencyMethods.SMOOTHGRAD_MEAN)).build();
                long t0 = System.nanoTime();
                runs.put(mode, SaliencyEngineTest.run(new SaliencyEngine(tm, o), x, dims, targets));
                System.out.printf("VjpSchedulerTest: demo lesions %s (%s voxels), %s: %.2f s%n", targets.stream().map(t -> t.id).toList(),
                        targets.stream().map(Target::voxelCount).toList(), mode, (System.nanoTime() - t0) / 1e9);
            }
        } finally {
            VjpScheduler.strategy = before;
        }
        Map<Integer, LesionMaps> ref = runs.get("equal-cost, 2 workers");
        for (Map.Entry<String, Map<Integer, LesionMaps>> e : runs.entrySet()) {
            for (Target t : targets) {
                LesionMaps want = ref.get(t.id), got = e.getValue().get(t.id);
                assertEquals(want.smoothGradRegion, got.smoothGradRegion);
                for (SaliencyMethod meth : List.of(SaliencyMethods.SMOOTHGRAD_MAX, SaliencyMethods.SMOOTHGRAD_MEAN)) {
                    for (int c = 0; c < 2; c++) {
                        float[] a = want.maps.get(meth)[c], b = got.maps.get(meth)[c];
                        assertTrue(e.getKey() + " lesion " + t.id + ": the map is not all zero", SaliencyEngineTest.maxAbs(a) > 0);
                        assertEquals(a.length, b.length);
                        for (int i = 0; i < a.length; i++) {
                            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                                fail(e.getKey() + " lesion " + t.id + " " + meth.key + " channel " + c + " voxel " + i + ": "
                                        + b[i] + " against " + a[i] + " (equal-cost split, 2 workers)");
                            }
                        }
                    }
                }
            }
        }
    }
}
