package io.github.ies.analysis;

/**
 * A perilesional-context result: per step (distance) and lesion, the lesion's mean score and whether it was detected.
 * One subject's run ({@link ContextExperiment.Result}) and a cohort's pool ({@link ExperimentPool.Context}) share the
 * summaries below, and the figure ({@code report.Figures.contextFigure}).
 */
public interface ContextCurve {

    /** The context's distance from the lesion border at each step, in mm. */
    double[] distances();

    int lesionCount();

    /** Lesion {@code l}'s mean lesion-class score at step {@code s}. */
    double score(int s, int l);

    boolean detected(int s, int l);

    /** The detection threshold (NaN when unknown). */
    double threshold();

    default int steps() { return distances().length; }

    /** Mean over the lesions of their mean score at step s (NaN without lesions). */
    default double mean(int s) {
        int n = lesionCount();
        if (n == 0) return Double.NaN;
        double acc = 0;
        for (int l = 0; l < n; l++) acc += score(s, l);
        return acc / n;
    }

    /** Population standard deviation across lesions at step s (NumPy's np.std; NaN without lesions). */
    default double std(int s) {
        int n = lesionCount();
        if (n == 0) return Double.NaN;
        double m = mean(s), acc = 0;
        for (int l = 0; l < n; l++) acc += (score(s, l) - m) * (score(s, l) - m);
        return Math.sqrt(acc / n);
    }

    default int nDetected(int s) {
        int k = 0;
        for (int l = 0; l < lesionCount(); l++) if (detected(s, l)) k++;
        return k;
    }

    /** The first step from which every lesion stays detected (-1 if never, or without lesions). */
    default int allDetectedStep() {
        int first = -1;
        for (int s = steps() - 1; s >= 0; s--) {
            if (lesionCount() > 0 && nDetected(s) == lesionCount()) first = s;
            else break;
        }
        return first;
    }
}
