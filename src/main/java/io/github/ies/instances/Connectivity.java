package io.github.ies.instances;

import io.github.ies.request.InvalidRequest;

import java.util.ArrayList;
import java.util.List;

/**
 * Voxel neighbourhoods in 3D: 6 (faces), 18 (faces and edges) or 26 (faces, edges and corners). They are the
 * structures of {@code scipy.ndimage.generate_binary_structure(3, 1)}, {@code (3, 2)} and {@code (3, 3)}; the
 * authors of the paper use 18.
 */
public enum Connectivity {
    SIX(6, 1), EIGHTEEN(18, 2), TWENTY_SIX(26, 3);

    /** Number of neighbours of a voxel. */
    public final int neighbours;
    /** Largest number of coordinates in which a neighbour differs (the rank of scipy's structure). */
    public final int rank;

    Connectivity(int neighbours, int rank) {
        this.neighbours = neighbours;
        this.rank = rank;
    }

    /** The connectivity for 6, 18 or 26; anything else is an {@link IllegalArgumentException}. */
    public static Connectivity of(int neighbours) {
        for (Connectivity c : values()) if (c.neighbours == neighbours) return c;
        throw new InvalidRequest("{connectivity} must be 6, 18 or 26, got " + neighbours);
    }

    /**
     * The one check of a connectivity option, for every interface: null (the bundle's) or 6, 18 or 26.
     *
     * @throws IllegalArgumentException "connectivity must be 6, 18 or 26, got ..."
     */
    public static Integer checkOption(Integer neighbours) {
        if (neighbours != null) of(neighbours);
        return neighbours;
    }

    /**
     * The one parser of a connectivity given as text: "model" (or empty) for the bundle's (null), else 6, 18 or 26.
     *
     * @throws IllegalArgumentException "connectivity must be model, 6, 18 or 26, got '...'"
     */
    public static Integer parseOption(String text) {
        if (text == null || text.isBlank() || text.trim().equalsIgnoreCase("model")) return null;
        int c;
        try {
            c = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new InvalidRequest("{connectivity} must be model, 6, 18 or 26, got '" + text + "'");
        }
        return of(c).neighbours;
    }

    /** True when (di, dj, dk), each in {-1, 0, 1} and not all 0, is a neighbour offset. */
    public boolean isNeighbour(int di, int dj, int dk) {
        int nonzero = (di != 0 ? 1 : 0) + (dj != 0 ? 1 : 0) + (dk != 0 ? 1 : 0);
        return nonzero >= 1 && nonzero <= rank;
    }

    /** All neighbour offsets {di, dj, dk}. */
    public List<int[]> offsets() {
        List<int[]> out = new ArrayList<>();
        for (int dk = -1; dk <= 1; dk++)
            for (int dj = -1; dj <= 1; dj++)
                for (int di = -1; di <= 1; di++)
                    if (isNeighbour(di, dj, dk)) out.add(new int[] {di, dj, dk});
        return out;
    }

    /**
     * The neighbour offsets that come earlier in NIfTI raster order (i fastest, then j, then k): the half of the
     * neighbourhood a raster scan has already visited.
     */
    public List<int[]> backwardOffsets() {
        List<int[]> out = new ArrayList<>();
        for (int[] o : offsets()) {
            if (o[2] < 0 || (o[2] == 0 && (o[1] < 0 || (o[1] == 0 && o[0] < 0)))) out.add(o);
        }
        return out;
    }

    @Override
    public String toString() {
        return Integer.toString(neighbours);
    }
}
