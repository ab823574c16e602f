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

        /** Rough cost: a forward pass (about 1.5 backward passes) plus one backward pass per item. */
        double cost() { return (double) unit.voxels() * (1.5 + items.size()); }
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
     * Runs the tasks, on {@code w} workers when {@code w > 1} (longest first onto the least loaded worker, each with
     * one PyTorch thread); returns the results in task order.
     */
    static CopyMaps[] execute(List<Task> tasks, int w, TaskRunner runner, ProgressListener listener) {
        CopyMaps[] results = new CopyMaps[tasks.size()];
        if (w <= 1) {
            for (int i = 0; i < tasks.size(); i++) results[i] = runner.run(tasks.get(i), listener);
            return results;
        }
        Integer[] order = new Integer[tasks.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (p, q) -> Double.compare(tasks.get(q).cost(), tasks.get(p).cost()));
        List<List<Integer>> plan = new ArrayList<>();
        double[] load = new double[w];
        for (int i = 0; i < w; i++) plan.add(new ArrayList<>());
        for (int i : order) {
            int least = 0;
            for (int q = 1; q < w; q++) if (load[q] < load[least]) least = q;
            plan.get(least).add(i);
            load[least] += tasks.get(i).cost();
        }
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
