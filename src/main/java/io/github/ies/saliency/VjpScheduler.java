package io.github.ies.saliency;

import io.github.ies.model.Autograd;
import io.github.ies.model.ProgressListener;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The work of one noisy copy as tasks (products on one box, one forward pass each) and their execution, serially
 * or on parallel single-threaded PyTorch workers, with the results in task order (the same maps whatever the
 * number of workers).
 */
final class VjpScheduler {

    private VjpScheduler() {}

    /** Products on one box (one forward pass); {@code items} hold voxel indices in {@code unit}. */
    static final class Task {
        final Box unit;
        final List<VjpItem> items;

        Task(Box unit, List<VjpItem> items) {
            this.unit = unit;
            this.items = items;
        }

        /** Rough cost: a forward pass (about {@link #FORWARD} backward passes) plus one backward pass per item. */
        double cost() { return cost(unit, items.size()); }

        static double cost(Box unit, int items) { return (double) unit.voxels() * (FORWARD + items); }
    }

    /** A forward pass with the graph kept, in backward passes on the same box (the cost model of {@link Task#cost}). */
    static final double FORWARD = 1.5;

    /**
     * One copy's tasks cut into pieces (consecutive items of one task, consecutive in the list: the results of the
     * pieces in list order are the results of the tasks in task order) and the worker of each piece.
     */
    static final class Split {
        final List<Task> pieces;
        final int[] worker;
        final double[] load;

        Split(List<Task> pieces, int[] worker, int workers) {
            this.pieces = pieces;
            this.worker = worker;
            this.load = new double[workers];
            for (int i = 0; i < pieces.size(); i++) load[worker[i]] += pieces.get(i).cost();
        }

        int workers() { return load.length; }
    }

    /** How one copy's tasks are split between workers: {@link #split} (the default) or {@link #byHalves} (before issue 25). */
    enum Strategy { EQUAL_COST, HALVES }

    /** The strategy of every run in this JVM; package-private, for the tests that compare the two (same maps). */
    static volatile Strategy strategy = Strategy.EQUAL_COST;

    static Split split(List<Task> tasks, int w, Strategy how) {
        return how == Strategy.HALVES ? byHalves(tasks, w) : split(tasks, w);
    }

    /**
     * The split of one copy's work: {@link #equalCost}, unless dealing whole tasks longest first ({@link #byHalves})
     * happens to give a smaller largest load (whole tasks that balance by themselves: no cut, no extra forward pass).
     * Both give the same maps.
     */
    static Split split(List<Task> tasks, int w) {
        Split e = equalCost(tasks, w);
        if (w <= 1) return e;
        Split h = byHalves(tasks, w);
        return max(h.load) < max(e.load) ? h : e;
    }

    static double max(double[] a) {
        double m = 0;
        for (double v : a) m = Math.max(m, v);
        return m;
    }

    /**
     * Equal-cost parts per worker: the tasks are laid end to end in task order and each worker, in turn, takes
     * the next items while its load (a forward pass per piece plus a backward pass per item, {@link Task#cost})
     * stays within a bound T, a task's items split where a worker is full; the last worker takes the rest, and T is
     * the smallest bound (bisection) for which the last worker's load stays within it too. At most {@code w - 1}
     * tasks are cut (one extra forward pass each); every item runs exactly once, in the pieces' order.
     */
    static Split equalCost(List<Task> tasks, int w) {
        if (w <= 1 || tasks.isEmpty()) return new Split(new ArrayList<>(tasks), new int[tasks.size()], Math.max(1, w));
        double total = 0;
        for (Task t : tasks) total += t.cost();
        double lo = total / w, hi = total;
        if (fill(tasks, w, lo, null, null) > lo) {
            for (int it = 0; it < 100 && hi - lo > 1e-9 * hi; it++) {
                double mid = 0.5 * (lo + hi);
                if (fill(tasks, w, mid, null, null) <= mid) hi = mid; else lo = mid;
            }
        } else {
            hi = lo;
        }
        List<Task> pieces = new ArrayList<>();
        List<Integer> worker = new ArrayList<>();
        fill(tasks, w, hi, pieces, worker);
        int[] ws = new int[worker.size()];
        for (int i = 0; i < ws.length; i++) ws[i] = worker.get(i);
        return new Split(pieces, ws, w);
    }

    /** Fills workers 0..w-2 up to {@code bound} in task order, the last with the rest; returns the last one's load. */
    private static double fill(List<Task> tasks, int w, double bound, List<Task> pieces, List<Integer> worker) {
        int k = 0;
        double load = 0;
        for (Task t : tasks) {
            int n = t.items.size(), i = 0;
            double v = t.unit.voxels();
            while (i < n) {
                int m;
                if (k == w - 1) {
                    m = n - i;
                } else {
                    m = (int) Math.min(n - i, Math.floor((bound - load) / v - FORWARD + 1e-9));   // + 1e-9: a bound equal to a load
                    if (m <= 0) {
                        if (load > 0) {
                            k++;
                            load = 0;
                            continue;
                        }
                        m = 1;      // an empty worker takes at least one item
                    }
                }
                if (pieces != null) {
                    pieces.add(new Task(t.unit, i == 0 && m == n ? t.items : t.items.subList(i, i + m)));
                    worker.add(k);
                }
                load += Task.cost(t.unit, m);
                i += m;
                if (i < n && k < w - 1) {
                    k++;
                    load = 0;
                }
            }
        }
        return k == w - 1 ? load : 0;
    }

    /** Runs one task of a copy. */
    interface TaskRunner {
        CopyMaps run(Task task, ProgressListener listener);
    }

    /**
     * The work of one copy for a group: with a receptive-field bound, the max-aggregation products are grouped by the
     * alignment cell of their voxel, each cell on its own receptive-field box inside the context box (exact for the
     * same reason as {@link ContextGeometry#smoothGradBox}; smaller than the lesion's box when the lesion spans
     * several cells; one forward pass for all the lesions of the group with voxels in that cell). Without a bound,
     * and for the mean aggregation, a target's products run on its whole SmoothGrad box. {@code items} hold voxel
     * indices in their target's SmoothGrad box; items keep their order.
     */
    static List<Task> plan(ContextGeometry geo, Box ctx, List<Box> sgBoxes, List<VjpItem> items) {
        Map<Box, List<VjpItem>> units = new LinkedHashMap<>();
        for (VjpItem it : items) {
            Box bt = sgBoxes.get(it.target());
            if (it.mean() || !geo.bounded()) {
                units.computeIfAbsent(bt, u -> new ArrayList<>()).add(it);
                continue;
            }
            int[] p = bt.global(it.voxel());
            Box unit = geo.cellBox(p, ctx);
            units.computeIfAbsent(unit, u -> new ArrayList<>()).add(new VjpItem(it.target(), unit.local(p[0], p[1], p[2])));
        }
        List<Task> tasks = new ArrayList<>();
        for (Map.Entry<Box, List<VjpItem>> u : units.entrySet()) tasks.add(new Task(u.getKey(), u.getValue()));
        return tasks;
    }

    static Box largest(List<Task> tasks) {
        Box b = tasks.get(0).unit;
        for (Task t : tasks) if (t.unit.voxels() > b.voxels()) b = t.unit;
        return b;
    }

    /**
     * The split before issue 25: the costliest tasks halved (in item order) until there are at least {@code w}
     * tasks where possible, then whole tasks longest first onto the least loaded worker (loads could differ by
     * a whole task: 58 against 43 VJPs per copy at the paper's settings).
     */
    static Split byHalves(List<Task> tasks, int w) {
        List<Task> pieces = balance(tasks, w);
        int[] worker = new int[pieces.size()];
        if (w > 1) {
            Integer[] order = new Integer[pieces.size()];
            for (int i = 0; i < order.length; i++) order[i] = i;
            Arrays.sort(order, (p, q) -> Double.compare(pieces.get(q).cost(), pieces.get(p).cost()));
            double[] load = new double[w];
            for (int i : order) {
                int least = 0;
                for (int q = 1; q < w; q++) if (load[q] < load[least]) least = q;
                worker[i] = least;
                load[least] += pieces.get(i).cost();
            }
        }
        return new Split(pieces, worker, Math.max(1, w));
    }

    /** Splits the costliest tasks (in item order) until there are at least {@code workers} tasks where possible. */
    static List<Task> balance(List<Task> tasks, int workers) {
        List<Task> out = new ArrayList<>(tasks);
        while (out.size() < workers) {
            int best = -1;
            for (int i = 0; i < out.size(); i++) {
                if (out.get(i).items.size() >= 2 && (best < 0 || out.get(i).cost() > out.get(best).cost())) best = i;
            }
            if (best < 0) break;
            Task t = out.get(best);
            int h = t.items.size() / 2;
            out.set(best, new Task(t.unit, t.items.subList(0, h)));
            out.add(best + 1, new Task(t.unit, t.items.subList(h, t.items.size())));
        }
        return out;
    }

    /** Workers for one copy's products: the option; else the PyTorch thread count on the CPU for small boxes; else 1. */
    static int workers(Session s, Box box, int items) {
        if (items < 2) return 1;
        if (s.o.workers > 0) return Math.min(s.o.workers, items);
        if (s.model.device().isGpu() || box.voxels() > SaliencyEngine.WORKER_CROP_VOXELS) return 1;
        return Math.max(1, Math.min(Autograd.threads(), items));
    }

    /**
     * Runs the pieces of a split, each worker (when there are several) with one PyTorch thread; returns the results
     * in piece order.
     */
    static CopyMaps[] execute(Split split, TaskRunner runner, ProgressListener listener) {
        List<Task> tasks = split.pieces;
        CopyMaps[] results = new CopyMaps[tasks.size()];
        int w = split.workers();
        if (w <= 1) {
            for (int i = 0; i < tasks.size(); i++) results[i] = runner.run(tasks.get(i), listener);
            return results;
        }
        List<List<Integer>> plan = new ArrayList<>();
        for (int i = 0; i < w; i++) plan.add(new ArrayList<>());
        for (int i = 0; i < tasks.size(); i++) plan.get(split.worker[i]).add(i);
        AtomicBoolean abort = new AtomicBoolean();
        ProgressListener guarded = new ProgressListener() {
            @Override public void progress(String stage, long done, long total) { }
            @Override public boolean isCancelled() { return abort.get() || listener.isCancelled(); }
        };
        int mainThreads = Autograd.threads();
        List<Future<?>> futures = new ArrayList<>();
        for (List<Integer> mine : plan) {
            if (mine.isEmpty()) continue;
            futures.add(pool().submit(() -> {
                Autograd.setThreads(1);
                for (int i : mine) results[i] = runner.run(tasks.get(i), guarded);
                return null;
            }));
        }
        RuntimeException failure = null;
        try {
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException ex) {
                    abort.set(true);
                    Throwable c = ex.getCause();
                    if (failure == null) failure = c instanceof RuntimeException ? (RuntimeException) c : new IllegalStateException(c);
                } catch (InterruptedException ex) {
                    abort.set(true);
                    Thread.currentThread().interrupt();
                    if (failure == null) failure = new CancellationException("interrupted");
                }
            }
        } finally {
            // the workers lowered PyTorch's default thread count for threads started later; restore it
            Autograd.setThreads(mainThreads);
        }
        if (failure != null) throw failure;
        listener.checkCancelled();
        return results;
    }

    private static ExecutorService pool;

    private static synchronized ExecutorService pool() {
        if (pool == null) {
            AtomicInteger n = new AtomicInteger();
            pool = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "ies-saliency-worker-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }
        return pool;
    }
}
