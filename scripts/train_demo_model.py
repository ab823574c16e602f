#!/usr/bin/python3
"""Trains the demo 3D U-Net on synthetic phantoms from `scripts/ies phantom` and exports it as an IES bundle.

  /usr/bin/python3 scripts/train_demo_model.py --work /tmp/ies-train --minutes 35 \\
      --out test-images/models/demo-unet

Seeds: training phantoms 1..N (--train-seeds), validation phantom (threshold tuning) 500, held-out test
phantoms 1001..1003; all disjoint from the demo subject's seed (20261127). Two CPU threads by default.
Patches (48^3, half of them centred on lesion voxels) of z-score-normalised (nonzero, channel-wise) FLAIR and
MPRAGE; loss = soft Dice (lesion class) + cross-entropy; Adam. Inference for validation/testing uses the
sliding-window rule of scripts/monai_rules.py with the bundle's settings, the model in eval mode.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import nibabel as nib
import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ies_unet  # noqa: E402
import export_torchscript  # noqa: E402
from monai_rules import zscore_nonzero, sliding_window  # noqa: E402

CONFIG = dict(in_channels=2, out_channels=2, channels=[16, 32, 64, 128], strides=[2, 2, 2])
LAYER = "model.1.submodule.2.conv"


def phantom(work, seed, extra, ies):
    d = os.path.join(work, "phantom-%d" % seed)
    if not os.path.exists(os.path.join(d, "lesions.nii.gz")):
        subprocess.run([ies, "phantom", "--out", d, "--seed", str(seed)] + extra, check=True)
    return load_subject(d)


def load_subject(d):
    flair = nib.load(os.path.join(d, "flair.nii.gz")).get_fdata(dtype=np.float32)
    mprage = nib.load(os.path.join(d, "mprage.nii.gz")).get_fdata(dtype=np.float32)
    gt = nib.load(os.path.join(d, "lesions.nii.gz")).get_fdata(dtype=np.float32) > 0.5
    x = zscore_nonzero(np.stack([flair, mprage]).astype(np.float32))
    return x, gt


def sample_patch(x, gt, size, rng, lesion_fraction=0.5):
    shape = gt.shape
    if rng.random() < lesion_fraction and gt.any():
        idx = np.argwhere(gt)
        c = idx[rng.integers(len(idx))]
        start = [int(np.clip(c[d] - size // 2 + rng.integers(-size // 4, size // 4 + 1), 0, shape[d] - size))
                 for d in range(3)]
    else:
        start = [int(rng.integers(0, shape[d] - size + 1)) for d in range(3)]
    sl = tuple(slice(s, s + size) for s in start)
    xp, yp = x[(slice(None),) + sl], gt[sl]
    if rng.random() < 0.5:  # left-right flip (axis i)
        xp, yp = xp[:, ::-1], yp[::-1]
    return np.ascontiguousarray(xp), np.ascontiguousarray(yp)


def loss_fn(logits, y):
    ce = F.cross_entropy(logits, y)
    p = torch.softmax(logits, dim=1)[:, 1]
    t = (y == 1).float()
    inter = (p * t).sum()
    dice = 1 - (2 * inter + 1e-5) / (p.sum() + t.sum() + 1e-5)
    return ce + dice


def predict(net, x, patch, overlap, blending):
    net.eval()
    with torch.no_grad():
        logits, _ = sliding_window(torch.from_numpy(x)[None], patch, 4, net, overlap, blending)
        return torch.softmax(logits, dim=1)[0, 1].numpy()


STRUCT18 = ndimage.generate_binary_structure(3, 2)


def metrics(prob, gt, thr, min_vox):
    pred = prob > thr
    lab, n = ndimage.label(pred, STRUCT18)
    if n:
        sizes = ndimage.sum(pred, lab, range(1, n + 1))
        for i, s in enumerate(sizes, 1):
            if s < min_vox:
                pred[lab == i] = False
    tp = float((pred & gt).sum())
    fp = float((pred & ~gt).sum())
    fn = float((~pred & gt).sum())
    dice = 1.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)
    r = 0.001
    g = gt.sum()
    k = 1.0 if g == 0 else (1 - r) * g / (r * (gt.size - g))
    ndsc = 1.0 if tp + fp + fn == 0 else 2 * tp / (k * fp + 2 * tp + fn)
    glab, gn = ndimage.label(gt, STRUCT18)
    detected = sum(1 for i in range(1, gn + 1) if pred[glab == i].any())
    plab, pn = ndimage.label(pred, STRUCT18)
    fp_les = sum(1 for i in range(1, pn + 1) if not gt[plab == i].any())
    return dict(dice=dice, ndsc=ndsc, lesions=gn, detected=detected, recall=detected / gn if gn else 1.0,
                pred_lesions=pn, fp_lesions=fp_les)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default="/tmp/ies-train")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(HERE), "test-images", "models", "demo-unet"))
    ap.add_argument("--minutes", type=float, default=35)
    ap.add_argument("--train-seeds", type=int, default=12, help="phantom seeds 1..N for training")
    ap.add_argument("--val-seed", type=int, default=500)
    ap.add_argument("--test-seeds", default="1001,1002,1003")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--patch", type=int, default=48)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bundle-patch", type=int, nargs=3, default=[64, 64, 64])
    ap.add_argument("--phantom-args", default="", help="extra arguments for ies phantom")
    ap.add_argument("--init", help="IES checkpoint to start from (fine-tuning), e.g. WORK/demo-unet.ckpt")
    ap.add_argument("--ies", default=os.path.join(HERE, "ies"), help="the ies launcher that generates the phantoms")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.work, exist_ok=True)
    extra = a.phantom_args.split()
    t0 = time.time()
    train = [phantom(a.work, s, extra, a.ies) for s in range(1, a.train_seeds + 1)]
    val = phantom(a.work, a.val_seed, extra, a.ies)
    tests = {int(s): phantom(a.work, int(s), extra, a.ies) for s in a.test_seeds.split(",")}
    print("phantoms ready in %.0f s" % (time.time() - t0), flush=True)

    net = ies_unet.build(CONFIG)
    if a.init:
        net.load_state_dict(torch.load(a.init, map_location="cpu")["state_dict"])
    opt = torch.optim.Adam(net.parameters(), lr=a.lr, weight_decay=1e-5)
    deadline = time.time() + a.minutes * 60
    it, running = 0, None
    t_start = time.time()
    while time.time() < deadline:
        net.train()
        xs, ys = zip(*(sample_patch(*train[rng.integers(len(train))], a.patch, rng) for _ in range(a.batch)))
        x = torch.from_numpy(np.stack(xs))
        y = torch.from_numpy(np.stack(ys).astype(np.int64))
        # learning rate: linear decay to 10% over the time budget
        frac = min(1.0, (time.time() - t_start) / (a.minutes * 60))
        for g in opt.param_groups:
            g["lr"] = a.lr * (1 - 0.9 * frac)
        loss = loss_fn(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        it += 1
        if it % 50 == 0:
            print("iter %d  %.0f s  loss %.4f  lr %.2g" % (it, time.time() - t_start, running, opt.param_groups[0]["lr"]),
                  flush=True)
    train_s = time.time() - t_start
    net.eval()
    ckpt = os.path.join(a.work, "demo-unet.ckpt")
    if a.init and os.path.abspath(a.init) == os.path.abspath(ckpt):
        ckpt = os.path.join(a.work, "demo-unet-finetuned.ckpt")
    torch.save({"arch": "ies_unet", "config": CONFIG, "state_dict": net.state_dict()}, ckpt)

    # threshold tuned on the validation phantom (voxel Dice)
    overlap, blending, min_vox = 0.25, "gaussian", 6
    vprob = predict(net, val[0], a.bundle_patch, overlap, blending)
    best = max(((metrics(vprob, val[1], t, min_vox)["dice"], t) for t in np.arange(0.1, 0.91, 0.05)))
    thr = round(float(best[1]), 2)
    print("validation: best Dice %.4f at threshold %.2f" % best, flush=True)
    results = {}
    for s, (x, gt) in tests.items():
        results[s] = metrics(predict(net, x, a.bundle_patch, overlap, blending), gt, thr, min_vox)
        print("test seed %d: %s" % (s, json.dumps(results[s])), flush=True)
    mean = {k: float(np.mean([r[k] for r in results.values()])) for k in ("dice", "ndsc", "recall")}
    print("held-out mean: %s" % json.dumps(mean), flush=True)

    meta = {"format": "ies-model/1", "name": "demo-unet",
            "description": "Demo 3D U-Net (MONAI UNet layout, channels %s, BatchNorm, PReLU) trained on synthetic "
                           "phantoms (seeds 1..%d) by scripts/train_demo_model.py; not for clinical use"
                           % (CONFIG["channels"], a.train_seeds),
            "inputs": ["FLAIR", "MPRAGE"], "normalization": "zscore-nonzero", "patch_size": a.bundle_patch,
            "overlap": overlap, "blending": blending, "activation": "softmax", "lesion_channel": 1,
            "threshold": thr, "min_lesion_voxels": min_vox, "connectivity": 18, "features": True,
            "training": {"iterations": it, "init": a.init, "seconds": round(train_s), "train_seeds": [1, a.train_seeds],
                         "val_seed": a.val_seed, "test_seeds": sorted(tests), "patch": a.patch, "batch": a.batch,
                         "threads": a.threads, "held_out": {str(k): v for k, v in results.items()},
                         "held_out_mean": mean}}
    export_torchscript.export(net, LAYER, a.out, meta, a.bundle_patch, 2)
    print("done: %d iterations in %.0f s" % (it, train_s))


if __name__ == "__main__":
    main()
