#!/usr/bin/python3
"""Where instance Grad-CAM++ puts its map, and why: a check of `ies explain` against the paper's definitions, computed
independently at the explained layer's own resolution (docs/saliency.md, "Where the Grad-CAM++ map sits").

  /usr/bin/python3 scripts/check-gradcam.py [--work /tmp/ies-gradcam-check] [--skip-explain]

1. Runs `ies explain` on the demo subject with the demo model, instance Grad-CAM++ only, in the `full` context (one
   whole-volume forward pass, as the authors' code), for every instance (22 TP, 3 FN, 3 TN).
2. Independently, in PyTorch (Debian's torch 1.13): the bundle's TorchScript `forward_features(x, delta)` on the
   z-scored inputs, g = dY/dA with Y the sum of the instance's lesion logits, and the paper's eqs. 8-10 transcribed in
   NumPy (float64) at the layer's resolution; upsampled with F.interpolate(trilinear, align_corners=False); compared
   with the map ies wrote (largest difference relative to the map's largest value).
3. Where the map sits: at the layer's resolution (a layer cell a covers input voxels 2a and 2a + 1 along each axis)
   and on the input grid: the peak inside the lesion or not, the share of the map inside the lesion, the centre of
   mass relative to the lesion's; and the centre of a layer cell's receptive field, measured from the input gradient
   of one cell's activations, against the 2a + 0.5 where trilinear upsampling with align_corners=False puts it.

Prints a table and a summary; exits 1 when a map differs from the reference by more than 1e-4 of its maximum.
Takes about a minute on 2 CPU cores.
"""
import argparse
import json
import os
import subprocess
import sys

import nibabel as nib
import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from monai_rules import zscore_nonzero  # noqa: E402


def gradcampp_instance(A, g):
    """The paper's instance Grad-CAM++ (eqs. 8-10) at the layer's resolution, float64: A, g are [K, X, Y, Z]."""
    A, g = A.astype(np.float64), g.astype(np.float64)
    S = A.reshape(A.shape[0], -1).sum(axis=1)[:, None, None, None]       # S_k = sum over the feature map
    den = 2 * g ** 2 + g ** 3 * S
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.where(den != 0, g ** 2 / den, 0.0)                  # alpha_k(ij)
    w = alpha * np.maximum(g, 0)                                       # w_k(ij) = alpha_k(ij) ReLU(g_k(ij))
    return np.maximum((w * A).sum(axis=0), 0)                          # ReLU(sum_k w_k(ij) A_k(ij))


def centre(weights):
    idx = np.indices(weights.shape).reshape(3, -1).astype(np.float64)
    w = weights.reshape(-1).astype(np.float64)
    return (idx * w).sum(axis=1) / w.sum()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", default="/tmp/ies-gradcam-check")
    p.add_argument("--skip-explain", action="store_true", help="reuse WORK/explain")
    a = p.parse_args()
    demo = os.path.join(ROOT, "test-images", "demo")
    model_dir = os.path.join(ROOT, "test-images", "models", "demo-unet")
    out = os.path.join(a.work, "explain")
    if not a.skip_explain:
        subprocess.run(["rm", "-rf", out], check=True)
        os.makedirs(a.work, exist_ok=True)
        subprocess.run([os.path.join(HERE, "ies"), "explain", "--model", model_dir,
                        "--input", "FLAIR=" + os.path.join(demo, "flair.nii.gz"), "--input", "MPRAGE=" + os.path.join(demo, "mprage.nii.gz"),
                        "--gt", os.path.join(demo, "lesions.nii.gz"), "--brain-mask", os.path.join(demo, "brainmask.nii.gz"),
                        "--tn-spheres", "3", "--context", "full", "--methods", "gradcampp", "--quiet", "--out", out], check=True,
                       stdout=subprocess.DEVNULL)
    meta = json.load(open(os.path.join(model_dir, "ies-model.json")))
    model = torch.jit.load(os.path.join(model_dir, "model.pt")).eval()
    for q in model.parameters():
        q.requires_grad_(False)
    x = np.stack([nib.load(os.path.join(demo, f)).get_fdata(dtype=np.float32) for f in ("flair.nii.gz", "mprage.nii.gz")])
    x = zscore_nonzero(x)
    xt = torch.from_numpy(x)[None]
    dims = x.shape[1:]
    lat = [d // 2 for d in dims]                     # the explained layer: half resolution (stride 2)
    with torch.no_grad():
        _, feats = model.forward_features(xt, torch.zeros((1, meta["feature_shape_at_patch"][0], *lat)))
    delta = torch.zeros(feats.shape, requires_grad=True)
    logits, feats = model.forward_features(xt, delta)
    A = feats[0].detach().numpy()
    assert list(A.shape[1:]) == lat, (A.shape, lat)
    labels = {c: nib.load(os.path.join(out, f)).get_fdata().astype(np.int32)
              for c, f in (("", "labels.nii.gz"), ("FN", "fn_labels.nii.gz"), ("TN", "tn_spheres.nii.gz"))}
    rows = []
    import csv
    table = list(csv.DictReader(open(os.path.join(out, "lesions.csv"))))
    worst = 0.0
    for r in table:
        lid, cat = int(r["id"]), r["category"]
        mask = labels["FN" if cat == "FN" else "TN" if cat == "TN" else ""] == lid
        Y = logits[0, 1][torch.from_numpy(mask)].sum()
        g, = torch.autograd.grad(Y, delta, retain_graph=True)
        g = g[0].numpy()
        cam_l = gradcampp_instance(A, g)                                   # the layer's own resolution
        cam = F.interpolate(torch.from_numpy(cam_l.astype(np.float32))[None, None], size=dims, mode="trilinear",
                            align_corners=False)[0, 0].numpy()
        name = os.path.join(out, "saliency", "lesion-%03d_gradcampp_layer.nii.gz" % lid)
        got = nib.load(name).get_fdata()
        ref_max = np.abs(cam).max()
        err = np.abs(got - cam).max() / ref_max if ref_max > 0 else np.abs(got).max()
        worst = max(worst, err)
        # the lesion at the layer's resolution: cells covering any of its voxels (cell a covers 2a, 2a + 1)
        foot = mask.reshape(lat[0], 2, lat[1], 2, lat[2], 2).any(axis=(1, 3, 5))
        zero = cam_l.max() == 0
        nzg = g != 0
        inl = np.broadcast_to(foot, g.shape) & nzg
        S = A.reshape(A.shape[0], -1).sum(axis=1)[:, None, None, None].astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = np.where(2 * g ** 2 + g ** 3 * S != 0, g ** 2 / (2 * g ** 2 + g ** 3 * S), 0.0)
        terms = alpha * np.maximum(g, 0) * A
        pos_terms = terms[terms > 0].sum()
        flipped = terms[(terms > 0) & (alpha < 0) & (A < 0)].sum()
        row = {"id": lid, "cat": cat, "voxels": int(mask.sum()), "err": err, "zero": zero,
               "g_pos": float((g[nzg] > 0).mean()) if nzg.any() else 0.0,
               "g_pos_in": float((g[inl] > 0).mean()) if inl.any() else 0.0,
               "flipped": float(flipped / pos_terms) if pos_terms > 0 else float("nan"),
               "peak_in_l": None, "mass_in_l": None, "peak_in": None, "mass_in": None, "shift": None}
        if not zero:
            pk_l = np.unravel_index(np.argmax(cam_l), cam_l.shape)
            row["peak_in_l"] = bool(foot[pk_l])
            row["mass_in_l"] = float(cam_l[foot].sum() / cam_l.sum())
            pk = np.unravel_index(np.argmax(cam), cam.shape)
            row["peak_in"] = bool(mask[pk])
            row["mass_in"] = float(cam[mask].sum() / cam.sum())
            row["shift"] = centre(cam) - centre(mask)
            row["shift_l"] = (2 * centre(cam_l) + 0.5) - centre(mask)       # the layer map's centre where upsampling puts it
        rows.append(row)

    # the centre of a layer cell's receptive field: gradient of one central cell's activations w.r.t. the input
    c = [d // 2 for d in lat]
    xg = xt.clone().requires_grad_(True)
    d0 = torch.zeros(feats.shape, requires_grad=False)
    _, f2 = model.forward_features(xg, d0)
    sel = f2[0, :, c[0], c[1], c[2]]
    gx, = torch.autograd.grad((sel * torch.randn(sel.shape, generator=torch.Generator().manual_seed(1))).sum(), xg)
    rf = np.abs(gx[0].numpy()).sum(axis=0)
    rf_centre = centre(rf)
    offset = rf_centre - 2 * np.array(c)

    print("demo model, explained layer %s (%d channels at half resolution %s), demo subject %s, full context"
          % (meta["feature_layer"], A.shape[0], "x".join(map(str, lat)), "x".join(map(str, dims))))
    print("g>0: share of the layer's nonzero gradients that are positive (all cells / the lesion's cells); flip: share of the map's "
          "positive terms with alpha < 0 and A < 0; @L: at the layer's resolution; @in: on the input grid")
    print("%4s %3s %6s %9s %5s %6s %6s %5s %7s %7s %8s %s" % ("id", "cat", "voxels", "rel.err", "zero", "g>0", "in", "flip", "peak@L",
                                                             "mass@L", "peak@in", "mass@in  centre of mass - lesion centre (i, j, k)"))
    for r in rows:
        if r["zero"]:
            print("%4d %3s %6d %9.1e %5s %6.3f %6.3f %5s %7s %7s %8s %s" % (r["id"], r["cat"], r["voxels"], r["err"], "yes", r["g_pos"],
                                                                      r["g_pos_in"], "-", "-", "-", "-", "-"))
        else:
            print("%4d %3s %6d %9.1e %5s %6.3f %6.3f %5.2f %7s %7.2f %8s %5.2f    %+.2f %+.2f %+.2f" % (
                r["id"], r["cat"], r["voxels"], r["err"], "no", r["g_pos"], r["g_pos_in"], r["flipped"], "in" if r["peak_in_l"] else "out",
                r["mass_in_l"], "in" if r["peak_in"] else "out", r["mass_in"], *r["shift"]))
    nz = [r for r in rows if not r["zero"]]
    shifts = np.array([r["shift"] for r in nz])
    print()
    print("worst difference from the independent reference: %.2g of the map's maximum (tolerance 1e-4)" % worst)
    Sk = A.reshape(A.shape[0], -1).sum(axis=1)
    print("the layer's activations: %.0f%% negative (min %.2f, max %.2f; the layer ends with a PReLU); S_k < 0 for %d of %d channels"
          % (100 * (A < 0).mean(), A.min(), A.max(), (Sk < 0).sum(), len(Sk)))
    print("positive gradients: median %.1f%% of each instance's nonzero layer gradients, %.1f%% in the lesion's own cells (max %.1f%%)"
          % (100 * np.median([r["g_pos"] for r in rows]), 100 * np.median([r["g_pos_in"] for r in rows]), 100 * max(r["g_pos_in"] for r in rows)))
    print("positive map terms from alpha < 0 and A < 0: median %.2f" % np.median([r["flipped"] for r in nz]))
    print("maps all zero: %d of %d (%s)" % (len(rows) - len(nz), len(rows), ", ".join("%d %s" % (r["id"], r["cat"]) for r in rows if r["zero"])))
    print("peak inside the lesion: %d of %d on the input grid, %d of %d at the layer's resolution (cells covering the lesion)"
          % (sum(r["peak_in"] for r in nz), len(nz), sum(r["peak_in_l"] for r in nz), len(nz)))
    print("share of the map inside the lesion: median %.2f (range %.2f-%.2f) on the input grid, %.2f (%.2f-%.2f) at the layer's resolution"
          % (np.median([r["mass_in"] for r in nz]), min(r["mass_in"] for r in nz), max(r["mass_in"] for r in nz),
             np.median([r["mass_in_l"] for r in nz]), min(r["mass_in_l"] for r in nz), max(r["mass_in_l"] for r in nz)))
    print("centre of mass minus lesion centre (input voxels): median %+.2f %+.2f %+.2f, range %+.2f..%+.2f"
          % (*np.median(shifts, axis=0), shifts.min(), shifts.max()))
    print("receptive field of layer cell %s: centre at input %s = 2a %+.2f %+.2f %+.2f; upsampling (align_corners=False) puts the cell "
          "at 2a + 0.5, i.e. %+.2f %+.2f %+.2f voxels from what it sees" % (c, np.round(rf_centre, 2), *offset, *(0.5 - offset)))
    return 0 if worst <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
