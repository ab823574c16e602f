package io.github.ies.analysis;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.Test;

import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

/** Against SciPy 1.10 / NumPy fixtures from scripts/fixtures/make_stats_fixtures.py. */
public class StatisticsTest {

    static JsonObject fixtures() throws Exception {
        try (Reader r = new InputStreamReader(StatisticsTest.class.getResourceAsStream("/analysis/stats.json"), StandardCharsets.UTF_8)) {
            return JsonParser.parseReader(r).getAsJsonObject();
        }
    }

    static double[] arr(JsonElement e) {
        JsonArray a = e.getAsJsonArray();
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) d[i] = a.get(i).getAsDouble();
        return d;
    }

    @Test
    /** Includes ties, n = 1, U at its mean (p = 1), all values equal, p down to 1e-57, and -0.0 tied with 0.0. */
    public void mannWhitneyMatchesScipy() throws Exception {
        JsonArray cases = fixtures().getAsJsonArray("mannwhitney");
        assertTrue(cases.size() >= 10);
        for (JsonElement ce : cases) {
            JsonObject c = ce.getAsJsonObject();
            String name = c.get("name").getAsString();
            Statistics.MannWhitney r = Statistics.mannWhitney(arr(c.get("x")), arr(c.get("y")));
            assertEquals(name + " U", c.get("u").getAsDouble(), r.u, 0);
            double p = c.get("p").getAsDouble();
            assertEquals(name + " p", p, r.pValue, 1e-9 * p);
            assertEquals(name + " rank-biserial", c.get("rank_biserial").getAsDouble(), r.rankBiserial, 1e-12);
        }
    }

    @Test
    public void swappingSamplesGivesComplementaryU() {
        double[] a = {1, 2, 2, 5, 7}, b = {2, 3, 3, 9};
        Statistics.MannWhitney ab = Statistics.mannWhitney(a, b), ba = Statistics.mannWhitney(b, a);
        assertEquals(a.length * b.length, ab.u + ba.u, 0);
        assertEquals(ab.pValue, ba.pValue, 1e-15);
        assertEquals(-ab.rankBiserial, ba.rankBiserial, 1e-15);
    }

    @Test
    public void emptySampleIsRefused() {
        try {
            Statistics.mannWhitney(new double[0], new double[] {1});
            fail();
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("non-empty"));
        }
    }

    @Test
    public void medianAndOrderStatisticIntervalMatchNumpyScipy() throws Exception {
        for (JsonElement ce : fixtures().getAsJsonArray("median")) {
            JsonObject c = ce.getAsJsonObject();
            String name = c.get("name").getAsString();
            Statistics.Median m = Statistics.median(arr(c.get("data")));
            assertEquals(name, c.get("median").getAsDouble(), m.median, 1e-15 * Math.abs(m.median));
            if (c.get("ci_lo").isJsonNull()) {
                assertTrue(name, Double.isNaN(m.lo) && Double.isNaN(m.hi));
            } else {
                assertEquals(name + " lo", c.get("ci_lo").getAsDouble(), m.lo, 0);
                assertEquals(name + " hi", c.get("ci_hi").getAsDouble(), m.hi, 0);
                assertEquals(name + " coverage", c.get("coverage").getAsDouble(), m.coverage, 1e-12);
                assertTrue(m.coverage >= 0.95);
            }
        }
    }

    @Test
    public void quantilesInterpolateLinearly() {
        double[] s = {1, 2, 3, 4};
        assertEquals(1.75, Statistics.quantileOfSorted(s, 0.25), 1e-15);
        assertEquals(2.5, Statistics.quantileOfSorted(s, 0.5), 1e-15);
        assertEquals(4, Statistics.quantileOfSorted(s, 1), 0);
        double[] f = Statistics.signFractions(new double[] {-1, 0, 2, 3});
        assertEquals(0.5, f[0], 0);
        assertEquals(0.25, f[1], 0);
    }
}
