#!/usr/bin/python3
"""Measures what the model-geometry wiring costs in accuracy on a realistic case: the demo subject (RAS, 2 mm) copied
to LPS at 1.5 mm (scipy's map_coordinates, order 1 for images, 0 for the lesion mask; MONAI's shape rule), then
`ies segment` and `ies explain` on both with the demo bundle (which declares RAS, 2 mm). The copy's run reorients and
resamples its inputs back to 2 mm, runs the network there and brings everything back to 1.5 mm; the original's run
needs nothing. The two differ only by the two resamplings (2 -> 1.5 mm for the copy, 1.5 -> 2 mm in IES), so the
figures below are the interpolation error a user gets from a scan not stored on the model's grid.

  /usr/bin/python3 scripts/check-model-geometry.py [--lesions 4] [--work /tmp/ies-geometry-check]

Prints: lesions and categories found by both; Dice of the original's mask (carried to 1.5 mm, nearest) against the
copy's; for a few lesions found by both (matched by world centroid), the SmoothGrad max map of each run compared on
the 1.5 mm grid (the original's map resampled trilinearly) where either is non-zero: relative RMS difference,
correlation, peak ratio. A control run takes the copy brought by scipy onto the model grid IES planned (from run.json) and runs it as stored: the
copy's maps must equal the control's (carried to 1.5 mm by scipy) within 1e-4 of the peak, else the script exits 1;
that checks IES's wiring against an independent resampling, and the difference to the original is then the network's
response to twice-resampled inputs.
Takes about a minute on 2 CPU cores.
"""
import argparse
import json
import os
import subprocess
import sys

import nibabel as nib
import numpy as np
import scipy.ndimage as ndi

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def copy_grid(img, spacing=1.5):
    """LPS, `spacing` mm, covering the same extent (MONAI's Spacingd shape rule, corners kept)."""
    a = img.affine
    n = np.array(img.shape[:3])
    old = np.sqrt((a[:3, :3] ** 2).sum(0))
    extent = (n - 1) * old
    m = np.round(extent / spacing + 1).astype(int)
    b = np.eye(4)
    b[:3, :3] = np.diag([-spacing, -spacing, spacing])
    corner = a @ np.array([n[0] - 1, n[1] - 1, 0, 1.0])   # the new grid's voxel 0 at the old grid's L, P corner
    b[:3, 3] = corner[:3]
    return b, m


def resample(data, a_in, b_out, shape, order):
    idx = np.indices(shape).reshape(3, -1)
    src = np.linalg.inv(a_in) @ b_out @ np.vstack([idx, np.ones((1, idx.shape[1]))])
    for d in range(3):
        src[d] = np.clip(src[d], 0, data.shape[d] - 1)
    out = ndi.map_coordinates(data.astype(np.float64), src[:3], order=order, mode="nearest")
    return out.reshape(shape)


def run(*args):
    r = subprocess.run([os.path.join(HERE, "ies"), *args, "--quiet"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("ies " + args[0] + " failed: " + r.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lesions", type=int, default=4)
    p.add_argument("--work", default="/tmp/ies-geometry-check")
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    demo = os.path.join(ROOT, "test-images", "demo")
    model = os.path.join(ROOT, "test-images", "models", "demo-unet")
    names = {"flair": 1, "mprage": 1, "lesions": 0}
    imgs = {k: nib.load(os.path.join(demo, k + ".nii.gz")) for k in names}
    b, shape = copy_grid(imgs["flair"])
    copy = {}
    for k, order in names.items():
        d = resample(np.asarray(imgs[k].dataobj), imgs[k].affine, b, shape, order)
        path = os.path.join(a.work, k + "-lps15.nii.gz")
        nib.save(nib.Nifti1Image(d.astype(np.float32 if order else np.uint8), b), path)
        copy[k] = path
    print("copy: %s %s mm %s" % (tuple(shape), 1.5, "".join(nib.aff2axcodes(b))))
    runs = {}
    for tag, files in (("orig", {k: os.path.join(demo, k + ".nii.gz") for k in names}), ("copy", copy)):
        seg = os.path.join(a.work, tag + "-segment")
        subprocess.run(["rm", "-rf", seg], check=True)
        run("segment", "--model", model, "--input", "FLAIR=" + files["flair"], "--input", "MPRAGE=" + files["mprage"],
            "--gt", files["lesions"], "--out", seg)
        runs[tag] = (seg, files)
    # control: the copy brought by scipy onto the model grid IES planned (run.json: MONAI's rule puts it 0.5 mm off the
    # original grid, since the copy's extent is 190.5 mm, not 190), run as stored
    back = {}
    model_grid = json.load(open(os.path.join(runs["copy"][0], "run.json")))["geometry"]["model"]
    a2 = np.array(model_grid["affine"])
    for k, order in names.items():
        c = nib.load(copy[k])
        d = resample(np.asarray(c.dataobj), c.affine, a2, tuple(model_grid["dims"]), order)
        path = os.path.join(a.work, k + "-back2.nii.gz")
        nib.save(nib.Nifti1Image(d.astype(np.float32 if order else np.uint8), a2), path)
        back[k] = path
    seg = os.path.join(a.work, "control-segment")
    subprocess.run(["rm", "-rf", seg], check=True)
    run("segment", "--model", model, "--input", "FLAIR=" + back["flair"], "--input", "MPRAGE=" + back["mprage"],
        "--gt", back["lesions"], "--out", seg)
    runs["control"] = (seg, back)
    rec = json.load(open(os.path.join(runs["copy"][0], "run.json")))["geometry"]
    print("geometry:", rec["summary"])

    def table(d):
        import csv
        return list(csv.DictReader(open(os.path.join(d, "lesions.csv"))))

    for tag in runs:
        t = table(runs[tag][0])
        cats = {}
        for r in t:
            cats[r["category"]] = cats.get(r["category"], 0) + 1
        print("%s: %d rows %s" % (tag, len(t), dict(sorted(cats.items()))))
    mo = nib.load(os.path.join(runs["orig"][0], "mask.nii.gz"))
    mc = np.asarray(nib.load(os.path.join(runs["copy"][0], "mask.nii.gz")).dataobj) > 0
    mo15 = resample(np.asarray(mo.dataobj), mo.affine, b, shape, 0) > 0
    dice = 2 * (mo15 & mc).sum() / max(1, mo15.sum() + mc.sum())
    print("mask Dice (original carried to 1.5 mm vs copy's): %.4f (%d vs %d voxels)" % (dice, mo15.sum(), mc.sum()))

    # lesions of 10 to 60 voxels found by both runs, matched by world centroid (within 2 mm) and category; ids can
    # differ when one run found an instance the other did not
    to, tc = table(runs["orig"][0]), table(runs["copy"][0])
    pairs = []
    for r in to:
        if r["category"] not in ("TP", "FN") or not 10 <= int(r["voxels"]) <= 60:
            continue
        cx = np.array([float(r["centroid_" + w]) for w in "xyz"])
        best = min(tc, key=lambda q: np.linalg.norm(cx - np.array([float(q["centroid_" + w]) for w in "xyz"])))
        if best["category"] == r["category"] and np.linalg.norm(cx - np.array([float(best["centroid_" + w]) for w in "xyz"])) < 2:
            pairs.append((r["id"], best["id"], r["category"], r["voxels"], best["voxels"]))
        if len(pairs) == a.lesions:
            break
    outs = {}
    for tag, col in (("orig", 0), ("copy", 1), ("control", 1)):
        files = runs[tag][1]
        ex = os.path.join(a.work, tag + "-explain")
        subprocess.run(["rm", "-rf", ex], check=True)
        run("explain", "--model", model, "--input", "FLAIR=" + files["flair"], "--input", "MPRAGE=" + files["mprage"],
            "--gt", files["lesions"], "--lesions", ",".join(q[col] for q in pairs), "--methods", "smoothgrad-max",
            "--samples", "8", "--seed", "1", "--out", ex)
        outs[tag] = ex

    def map_path(d, i, ch):
        s = os.path.join(d, "saliency")
        return os.path.join(s, [f for f in os.listdir(s) if f.startswith("lesion-") and int(f.split("_")[0][7:]) == int(i)
                                and f.endswith("smoothgrad-max_%s.nii.gz" % ch)][0])
    worst = 0
    worst_wiring = 0
    for io_, ic, cat, vo, vc in pairs:
        for ch in ("flair", "mprage"):
            o = nib.load(map_path(outs["orig"], io_, ch))
            c = np.asarray(nib.load(map_path(outs["copy"], ic, ch)).dataobj)
            o15 = resample(np.asarray(o.dataobj), o.affine, b, shape, 1)
            near = (o15 != 0) | (c != 0)
            x, y = o15[near], c[near]
            rel = np.sqrt(((x - y) ** 2).mean()) / np.sqrt((x ** 2).mean())
            corr = np.corrcoef(x, y)[0, 1]
            ratio = np.abs(y).max() / np.abs(x).max()
            worst = max(worst, rel)
            print("%s lesion %s (%s voxels at 2 mm) / %s (%s at 1.5 mm) %-6s: relative RMS %.3f, correlation %.4f, peak ratio %.3f"
                  % (cat, io_, vo, ic, vc, ch, rel, corr, ratio))
            k = nib.load(map_path(outs["control"], ic, ch))
            k15 = resample(np.asarray(k.dataobj), k.affine, b, shape, 1)
            sup = (k15 != 0) | (c != 0)
            wiring = np.abs(k15[sup] - c[sup]).max() / np.abs(k15[sup]).max()
            worst_wiring = max(worst_wiring, wiring)
            print("    the copy's map against the control's (scipy both ways): max difference %.2e of the peak" % wiring)
    print("worst relative RMS difference to the original: %.3f (the network's response to twice-resampled inputs)" % worst)
    print("worst difference to the control: %.2e of the peak (IES's resampling against scipy's)" % worst_wiring)
    if worst_wiring > 1e-4:
        sys.exit(1)


if __name__ == "__main__":
    main()
