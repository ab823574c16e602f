package io.github.ies.phantom;

/** A ventricle segment: a capsule with elliptical, possibly tilted cross-section interpolated along it. */
final class VentricleSegment {
    final double[] a = new double[3], t = new double[3], e1 = new double[3], e2 = new double[3];
    final double len, rx0, rz0, rx1, rz1, tilt0, tilt1, side;
    final double[] lo = new double[3], hi = new double[3];

    VentricleSegment(double[] p, double[] q, double side) {
        this.side = side;
        double l2 = 0;
        for (int r = 0; r < 3; r++) {
            a[r] = p[r];
            t[r] = q[r] - p[r];
            l2 += t[r] * t[r];
        }
        len = Math.sqrt(l2);
        for (int r = 0; r < 3; r++) t[r] /= len;
        // e2: the vertical made perpendicular to t; e1 = e2 x t
        double dot = t[2];
        double[] up = {-dot * t[0], -dot * t[1], 1 - dot * t[2]};
        double un = Math.sqrt(up[0] * up[0] + up[1] * up[1] + up[2] * up[2]);
        for (int r = 0; r < 3; r++) e2[r] = up[r] / un;
        e1[0] = e2[1] * t[2] - e2[2] * t[1];
        e1[1] = e2[2] * t[0] - e2[0] * t[2];
        e1[2] = e2[0] * t[1] - e2[1] * t[0];
        rx0 = p[3];
        rz0 = p[4];
        tilt0 = Math.toRadians(p[5]);
        rx1 = q[3];
        rz1 = q[4];
        tilt1 = Math.toRadians(q[5]);
        double rmax = Math.max(Math.max(rx0, rz0), Math.max(rx1, rz1));
        for (int r = 0; r < 3; r++) {
            lo[r] = Math.min(p[r], q[r]) - rmax - 1;
            hi[r] = Math.max(p[r], q[r]) + rmax + 1;
        }
    }

    /** Normalised squared distance: below 1 inside. */
    double value(double x, double y, double z) {
        if (x < lo[0] || x > hi[0] || y < lo[1] || y > hi[1] || z < lo[2] || z > hi[2]) return 9;
        double wx = x - a[0], wy = y - a[1], wz = z - a[2];
        double s = (wx * t[0] + wy * t[1] + wz * t[2]) / len;
        double u = Math.min(1, Math.max(0, s));
        double qx = wx - u * len * t[0], qy = wy - u * len * t[1], qz = wz - u * len * t[2];
        double ca = qx * e1[0] + qy * e1[1] + qz * e1[2];
        double cb = qx * e2[0] + qy * e2[1] + qz * e2[2];
        double cc = qx * t[0] + qy * t[1] + qz * t[2];
        double rx = rx0 + u * (rx1 - rx0), rz = rz0 + u * (rz1 - rz0), th = tilt0 + u * (tilt1 - tilt0);
        double cos = StrictMath.cos(th), sin = StrictMath.sin(th) * side;
        double along = -ca * sin + cb * cos; // long axis: up-medial to down-lateral
        double across = ca * cos + cb * sin;
        double rc = Math.min(rx, rz);
        return (across / rx) * (across / rx) + (along / rz) * (along / rz) + (cc / rc) * (cc / rc);
    }
}
