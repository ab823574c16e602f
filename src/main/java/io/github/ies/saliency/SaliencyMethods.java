package io.github.ies.saliency;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The registry of saliency methods, in order: the order of the lesions.csv peak columns, of run.json's methods, of
 * the report's figure rows and of the help texts. A method is one {@link SaliencyMethod} (a key, a display name,
 * a kind and a computation) and one {@link #register} line in the block below; see docs/saliency.md, "Adding a
 * saliency method".
 */
public final class SaliencyMethods {

    /** SmoothGrad with max aggregation (eq. 3). */
    public static final SaliencyMethod SMOOTHGRAD_MAX = new SaliencyMethod("smoothgrad-max", "SmoothGrad-max",
            SaliencyMethod.Kind.PER_CHANNEL, true, SmoothGradRunner::new);
    /** SmoothGrad with mean aggregation (eq. 2): the same noisy copies as SmoothGrad-max, when both are selected. */
    public static final SaliencyMethod SMOOTHGRAD_MEAN = new SaliencyMethod("smoothgrad-mean", "SmoothGrad-mean",
            SaliencyMethod.Kind.PER_CHANNEL, true, SMOOTHGRAD_MAX.computation);
    /** Instance Grad-CAM++ (eqs. 4-10) on the bundle's feature layer. */
    public static final SaliencyMethod GRADCAMPP = new SaliencyMethod("gradcampp", "Grad-CAM++",
            SaliencyMethod.Kind.LAYER, GradCamRunner.COMPUTATION);
    /** Class-level Grad-CAM++ over the whole volume (eqs. 4-7). */
    public static final SaliencyMethod CLASS_GRADCAMPP = new SaliencyMethod("class-gradcampp", "class Grad-CAM++",
            SaliencyMethod.Kind.VOLUME, GradCamRunner.COMPUTATION);

    private static final List<SaliencyMethod> ALL = new CopyOnWriteArrayList<>();

    /** Every method: the default of every interface, as a value ({@link #parseList} reads it). */
    public static final String EVERY = "all";

    static {
        register(SMOOTHGRAD_MAX);
        register(SMOOTHGRAD_MEAN);
        register(GRADCAMPP);
        register(CLASS_GRADCAMPP);
    }

    /** Registry order (unregistered methods last). */
    public static final Comparator<SaliencyMethod> ORDER = Comparator.comparingInt(m -> {
        int i = ALL.indexOf(m);
        return i < 0 ? Integer.MAX_VALUE : i;
    });

    /**
     * The computations a group of lesions runs first, in this order: Grad-CAM++ (its one pass on the clean input checks
     * the backend on the context box before any gradient is used), then SmoothGrad; any other in registry order.
     */
    private static final List<SaliencyMethod.Computation> RUN_FIRST = List.of(GRADCAMPP.computation, SMOOTHGRAD_MAX.computation);

    private SaliencyMethods() {}

    /** Adds a method at the end of the registry. @throws IllegalArgumentException when its key is taken */
    public static synchronized void register(SaliencyMethod m) {
        if (fromKey(m.key) != null) throw new IllegalArgumentException("method key '" + m.key + "' is already registered");
        ALL.add(m);
    }

    /** Removes a method (for tests that register one of their own). */
    static synchronized void unregister(SaliencyMethod m) { ALL.remove(m); }

    /** Every registered method, in registry order. */
    public static List<SaliencyMethod> all() { return Collections.unmodifiableList(new ArrayList<>(ALL)); }

    /** The method of a key (case-insensitive), or null. */
    public static SaliencyMethod fromKey(String s) {
        for (SaliencyMethod m : ALL) if (m.key.equalsIgnoreCase(s.trim())) return m;
        return null;
    }

    /** A set of methods in registry order. */
    public static Set<SaliencyMethod> sorted(Collection<SaliencyMethod> methods) {
        Set<SaliencyMethod> out = new TreeSet<>(ORDER.thenComparing(m -> m.key));
        out.addAll(methods);
        return out;
    }

    /**
     * The one parser of a method list, for every interface: keys separated by commas, semicolons or spaces, e.g.
     * {@code "smoothgrad-max,gradcampp"}; "all" for every method.
     *
     * @throws IllegalArgumentException naming the unknown key and the known ones
     */
    public static Set<SaliencyMethod> parseList(String text) {
        Set<SaliencyMethod> out = sorted(List.of());
        if (text == null || text.isBlank()) throw new IllegalArgumentException("no method given (" + keys() + ")");
        for (String part : text.split("[,;\\s]+")) {
            if (part.isBlank()) continue;
            if (part.trim().equalsIgnoreCase(EVERY)) {
                out.addAll(ALL);
                continue;
            }
            SaliencyMethod m = fromKey(part);
            if (m == null) throw new IllegalArgumentException("unknown method '" + part.trim() + "' (expected " + keys() + ")");
            out.add(m);
        }
        if (out.isEmpty()) throw new IllegalArgumentException("no method given (" + keys() + ")");
        return out;
    }

    /** "smoothgrad-max, smoothgrad-mean, gradcampp or class-gradcampp". */
    public static String keys() {
        StringBuilder sb = new StringBuilder();
        List<SaliencyMethod> v = all();
        for (int i = 0; i < v.size(); i++) sb.append(i == 0 ? "" : i == v.size() - 1 ? " or " : ", ").append(v.get(i).key);
        return sb.toString();
    }

    /** The keys in registry order, comma-separated: "smoothgrad-max, smoothgrad-mean, gradcampp, class-gradcampp". */
    public static String keyList() {
        List<String> k = new ArrayList<>();
        for (SaliencyMethod m : all()) k.add(m.key);
        return String.join(", ", k);
    }

    /** The keys of the methods that make maps per lesion, in registry order. */
    public static List<String> lesionKeys() {
        List<String> k = new ArrayList<>();
        for (SaliencyMethod m : all()) if (m.perLesion()) k.add(m.key);
        return k;
    }

    /** The rank of a computation in a group run (see {@link #RUN_FIRST}). */
    static int runRank(SaliencyMethod.Computation c) {
        int i = RUN_FIRST.indexOf(c);
        if (i >= 0) return i;
        for (int j = 0; j < ALL.size(); j++) if (ALL.get(j).computation == c) return RUN_FIRST.size() + j;
        return Integer.MAX_VALUE;
    }
}
