package io.github.ies.phantom;

/** The lesions a phantom gets, in priority order ({@link #PLAN}); more than the plan are drawn at random. */
final class LesionPlan {

    private LesionPlan() {
    }

    /** One planned lesion: kind and accepted voxel-count range at the output spacing. */
    static final class Slot {
        final LesionKind kind;
        final int lo, hi;

        Slot(LesionKind kind, int lo, int hi) {
            this.kind = kind;
            this.lo = lo;
            this.hi = hi;
        }
    }

    /** The lesion plan in priority order: a prefix of it is used for fewer lesions. */
    static final Slot[] PLAN = {
        new Slot(LesionKind.CONFLUENT_CAP, 1000, 1600),
        new Slot(LesionKind.ELLIPSOID, 90, 120),
        new Slot(LesionKind.BLOB, 90, 120),
        new Slot(LesionKind.JUXTACORTICAL, 90, 120),
        new Slot(LesionKind.PERIVENTRICULAR, 90, 120),
        new Slot(LesionKind.ELLIPSOID, 3, 5),
        new Slot(LesionKind.BLOB, 10, 30),
        new Slot(LesionKind.BLOB, 90, 120),
        new Slot(LesionKind.BLOB, 200, 450),
        new Slot(LesionKind.JUXTACORTICAL, 30, 80),
        new Slot(LesionKind.ELLIPSOID, 4, 8),
        new Slot(LesionKind.CONFLUENT_CAP, 250, 600),
        new Slot(LesionKind.BLOB, 40, 90),
        new Slot(LesionKind.PERIVENTRICULAR, 15, 40),
        new Slot(LesionKind.BLOB, 120, 250),
        new Slot(LesionKind.JUXTACORTICAL, 6, 15),
        new Slot(LesionKind.ELLIPSOID, 90, 120),
        new Slot(LesionKind.ELLIPSOID, 3, 6),
        new Slot(LesionKind.PERIVENTRICULAR, 50, 90),
        new Slot(LesionKind.JUXTACORTICAL, 20, 50),
        new Slot(LesionKind.BLOB, 400, 800),
        new Slot(LesionKind.ELLIPSOID, 8, 20),
        new Slot(LesionKind.BLOB, 25, 60),
        new Slot(LesionKind.PERIVENTRICULAR, 130, 200),
        new Slot(LesionKind.ELLIPSOID, 5, 12),
        new Slot(LesionKind.JUXTACORTICAL, 60, 130),
        new Slot(LesionKind.BLOB, 15, 35),
        new Slot(LesionKind.PERIVENTRICULAR, 20, 60),
        new Slot(LesionKind.ELLIPSOID, 30, 70),
        new Slot(LesionKind.BLOB, 150, 300),
    };
}
