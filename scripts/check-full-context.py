#!/usr/bin/python3
"""Checks that `ies explain --context full --noise-level 0 --samples 1` is the paper's whole-volume computation for a
MONAI UNet of the paper's size (channels 32..512, strides 2, 2, 2, 2; random weights, BatchNorm statistics of random
data) on the demo subject: SmoothGrad max and mean and instance Grad-CAM++ of a few ground-truth lesions, against an
independent per-voxel loop of the eager network in PyTorch (Debian's torch 1.13, float32): one whole-volume forward
pass, one backward pass per lesion voxel, no padding (96 x 112 x 96 is a multiple of the stride 16).

  /usr/bin/python3 scripts/check-full-context.py [--res-units 0|2] [--lesions 3] [--work /tmp/ies-full-check]

Prints max |Java - PyTorch| / max |PyTorch| per lesion, method and channel, and exits 1 when any exceeds 1e-4.
--res-units 2 uses MONAI's residual units (scripts/monai_layouts.py), the layout of most MONAI lesion models.
Takes minutes on 2 CPU cores (the reference: about 2.5 s per backward pass of the paper-size network).
"""
import argparse
import json
import os
import subprocess
import sys
import time

import nibabel as nib
import numpy as np
import scipy.ndimage as ndi
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "fixtures"))
import export_torchscript  # noqa: E402
import make_paper_size_bundle  # noqa: E402
import monai_layouts  # noqa: E402
from make_saliency_fixtures import gradcam_numpy  # noqa: E402
from monai_rules import zscore_nonzero  # noqa: E402


def build(res_units):
    if res_units == 0:
        return make_paper_size_bundle.build(), make_paper_size_bundle.LAYER
    torch.manual_seed(0)
    net = monai_layouts.UNet(2, 2, channels=(32, 64, 128, 256, 512), strides=(2, 2, 2, 2), num_res_units=res_units)
    monai_layouts.randomize_norm_statistics(net, 0)
    return net.eval(), "model.1.submodule.2"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--res-units", type=int, default=0)
    p.add_argument("--lesions", type=int, default=3, help="ground-truth lesions of 10 to 25 voxels to explain")
    p.add_argument("--work", default="/tmp/ies-full-check")
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    demo = os.path.join(ROOT, "test-images", "demo")
    net, layer = build(a.res_units)
    import copy
    bundle = os.path.join(a.work, "bundle-res%d" % a.res_units)
    meta = {"format": "ies-model/1", "name": "paper-size-res%d" % a.res_units, "description": "random paper-size UNet",
            "inputs": ["FLAIR", "MPRAGE"], "normalization": "zscore-nonzero", "patch_size": [96, 96, 96],
            "activation": "softmax", "lesion_channel": 1, "threshold": 0.3, "features": True}
    export_torchscript.export(copy.deepcopy(net), layer, bundle, meta, (96, 96, 96), 2)

    # ground-truth components (18-connectivity) of 10 to 25 voxels, as a label image
    gt = nib.load(os.path.join(demo, "lesions.nii.gz"))
    lab, n = ndi.label(gt.get_fdata() > 0, structure=ndi.generate_binary_structure(3, 2))
    sizes = ndi.sum(np.ones_like(lab), lab, index=range(1, n + 1))
    ids = [i + 1 for i, s in enumerate(sizes) if 10 <= s <= 25][:a.lesions]
    chosen = np.where(np.isin(lab, ids), lab, 0).astype(np.int32)
    labels = os.path.join(a.work, "labels.nii.gz")
    nib.save(nib.Nifti1Image(chosen, gt.affine, gt.header), labels)

    out = os.path.join(a.work, "explain-res%d" % a.res_units)
    subprocess.run(["rm", "-rf", out], check=True)
    t0 = time.time()
    subprocess.run([os.path.join(HERE, "ies"), "explain", "--model", bundle,
                    "--input", "FLAIR=" + os.path.join(demo, "flair.nii.gz"),
                    "--input", "MPRAGE=" + os.path.join(demo, "mprage.nii.gz"),
                    "--labels", labels, "--context", "full", "--noise-level", "0", "--samples", "1",
                    "--methods", "smoothgrad-max,smoothgrad-mean,gradcampp", "--quiet", "--out", out], check=True)
    java_s = time.time() - t0
    run = json.load(open(os.path.join(out, "run.json")))

    # the independent reference
    x = np.stack([nib.load(os.path.join(demo, f)).get_fdata(dtype=np.float32) for f in ("flair.nii.gz", "mprage.nii.gz")])
    x = zscore_nonzero(x)
    xt = torch.from_numpy(x)[None].requires_grad_(True)
    feats = {}
    h = dict(net.named_modules())[layer].register_forward_hook(lambda m, i, o: feats.__setitem__("a", o))
    t0 = time.time()
    y = net(xt)
    h.remove()
    worst = 0.0
    rows = []
    for lid in ids:
        mask = chosen == lid
        idx = np.argwhere(mask)
        mx = None
        for (i, j, k) in idx:
            g, = torch.autograd.grad(y[0, 1, i, j, k], xt, retain_graph=True)
            g = g[0].numpy()
            mx = g.copy() if mx is None else np.where(np.abs(g) > np.abs(mx), g, mx)
        g, = torch.autograd.grad(y[0, 1][torch.from_numpy(mask)].mean(), xt, retain_graph=True)
        mean = g[0].numpy()
        gA, = torch.autograd.grad(y[0, 1][torch.from_numpy(mask)].sum(), feats["a"], retain_graph=True)
        cam = gradcam_numpy(feats["a"][0].detach().numpy(), gA[0].numpy(), True)
        cam = F.interpolate(torch.from_numpy(cam.astype(np.float32))[None, None], size=x.shape[1:], mode="trilinear",
                            align_corners=False)[0, 0].numpy()
        refs = {("smoothgrad-max", "flair"): mx[0], ("smoothgrad-max", "mprage"): mx[1],
                ("smoothgrad-mean", "flair"): mean[0], ("smoothgrad-mean", "mprage"): mean[1], ("gradcampp", "layer"): cam}
        for (meth, ch), ref in refs.items():
            got = nib.load(os.path.join(out, "saliency", "lesion-%03d_%s_%s.nii.gz" % (lid, meth, ch))).get_fdata()
            err = np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-30)
            worst = max(worst, err)
            rows.append((lid, int(mask.sum()), meth, ch, err))
    ref_s = time.time() - t0
    print("paper-size UNet, num_res_units=%d, demo subject 96x112x96, full context, noise 0, N = 1" % a.res_units)
    print("alignment %s (%s), padding %s, kernels %s" % (run["parameters"]["alignment"], run["parameters"]["alignment_source"],
                                                     run["parameters"]["padding"]["zeros_added_at_high_end"],
                                                     run["backend_check"]["kernels"]))
    for r in rows:
        print("lesion %3d (%2d voxels) %-16s %-7s max |Java - PyTorch| / max |PyTorch| = %.2g" % r)
    print("worst %.2g (tolerance 1e-4); ies explain %.0f s, PyTorch reference %.0f s" % (worst, java_s, ref_s))
    return 0 if worst <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
