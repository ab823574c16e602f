#!/usr/bin/python3
"""Trains the demo 3D U-Net on synthetic phantoms from `scripts/ies phantom` and exports it as an IES bundle.

  /usr/bin/python3 scripts/train_demo_model.py --work /tmp/ies-train --minutes 35 \\
      --out test-images/models/demo-unet

Seeds: training phantoms 1..N (--train-seeds), validation phantom (threshold tuning) 500, held-out test
phantoms 1001..1003; all disjoint from the demo subject's seed (20261127). Two CPU threads by default.
Patches (48^3, half of them centred on lesion voxels) of z-score-normalised (nonzero, channel-wise) FLAIR and
MPRAGE; loss = soft Dice (lesion class) + cross-entropy; Adam. Inference for validation/testing uses the
sliding-window rule of scripts/monai_rules.py with the bundle's settings, the model in eval mode.

--style realistic (issue 24): phantoms from `ies phantom --style realistic --spacing 2` (the default 192 x 224 x
192 mm field of view, 96 x 112 x 96 voxels), generated into WORK/realistic/seed-<S>; default seeds: training 1..32,
validation 500..502 (threshold and minimum lesion size tuned on their pooled Dice), held-out test 1001..1003
(disjoint from each other, from the demo subjects' 20261127 and from the cohort of scripts/cohort-analysis, 101..400).
Normalisation "zscore" (whole image, channel-wise: the background is Rician noise, so "nonzero" is not the head; see
docs/model.md), the same formula as the Java side's Normalization.zscore; the bundle declares the phantoms' grid
(RAS, 2 mm), so inputs on another grid are resampled to it. Patches: half centred on lesions (of those, half pick a
lesion uniformly first, so small lesions are centred as often as large ones), a fifth on the FLAIR hyperintensities
that are not lesions (confounders.nii.gz), the rest anywhere; per-channel intensity augmentation (scale and shift).
The default (--style classic) is unchanged, so the shipped demo model stays reproducible. The shipped realistic model
(test-images/models/demo-unet-realistic) was made in two stages, 36 + 21 minutes on 2 cores:

  /usr/bin/python3 scripts/train_demo_model.py --style realistic --work /tmp/ies-train-realistic/work \
      --iterations 12000 --out /tmp/stage1
  cp /tmp/ies-train-realistic/work/demo-unet-realistic.ckpt /tmp/stage1.ckpt
  /usr/bin/python3 scripts/train_demo_model.py --style realistic --work /tmp/ies-train-realistic/work \
      --init /tmp/stage1.ckpt --seed 1 --lr 5e-4 --iterations 8000 --out test-images/models/demo-unet-realistic
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


REALISTIC_ARGS = ["--style", "realistic", "--spacing", "2"]


def phantom(work, seed, extra, ies, style="classic", norm="zscore-nonzero"):
    if style == "realistic":
        d = os.path.join(work, "realistic", "seed-%d" % seed)
        if not os.path.exists(os.path.join(d, "lesions.nii.gz")):
            subprocess.run([ies, "phantom", "--out", d, "--seed", str(seed), "-q"] + REALISTIC_ARGS + extra,
                           check=True)
        return load_subject(d, norm, confounders=True)
    d = os.path.join(work, "phantom-%d" % seed)
    if not os.path.exists(os.path.join(d, "lesions.nii.gz")):
        subprocess.run([ies, "phantom", "--out", d, "--seed", str(seed)] + extra, check=True)
    return load_subject(d, norm)


def zscore_whole(x):
    """The bundle scheme "zscore" (Java Normalization.zscore, nnU-Net ZScoreNormalization without mask): per channel
    (v - mean) / max(std, 1e-8) over the whole image, population std, statistics in double precision."""
    out = np.empty_like(x)
    for c in range(x.shape[0]):
        v = x[c].astype(np.float64)
        out[c] = ((v - v.mean()) / max(v.std(), 1e-8)).astype(np.float32)
    return out


NORMALIZE = {"zscore-nonzero": zscore_nonzero, "zscore": zscore_whole}


def load_subject(d, norm="zscore-nonzero", confounders=False):
    flair = nib.load(os.path.join(d, "flair.nii.gz")).get_fdata(dtype=np.float32)
    mprage = nib.load(os.path.join(d, "mprage.nii.gz")).get_fdata(dtype=np.float32)
    gt = nib.load(os.path.join(d, "lesions.nii.gz")).get_fdata(dtype=np.float32) > 0.5
    x = NORMALIZE[norm](np.stack([flair, mprage]).astype(np.float32))
    if not confounders:
        return x, gt
    conf = nib.load(os.path.join(d, "confounders.nii.gz")).get_fdata(dtype=np.float32) > 0.5
    return x, gt, np.argwhere(conf)


def lesion_components(gt):
    """The voxel lists of the ground truth's 18-connected lesions (for per-lesion patch sampling)."""
    lab, n = ndimage.label(gt, STRUCT18)
    return [np.argwhere(lab == i) for i in range(1, n + 1)]


def sample_patch(x, gt, size, rng, lesion_fraction=0.5, conf_idx=None, conf_fraction=0.0, intensity_aug=0.0,
                 components=None, per_lesion=0.0):
    """A training patch. Of the lesion-centred patches, a share `per_lesion` picks a lesion uniformly first (then a
    voxel of it), so small lesions are centred as often as large ones; the rest pick a lesion voxel uniformly."""
    shape = gt.shape
    u = rng.random()
    if (u < lesion_fraction and gt.any()) or (
            conf_idx is not None and len(conf_idx) and u < lesion_fraction + conf_fraction):
        if u < lesion_fraction and gt.any():
            idx = (components[rng.integers(len(components))] if components and rng.random() < per_lesion
                   else np.argwhere(gt))
        else:
            idx = conf_idx
        c = idx[rng.integers(len(idx))]
        start = [int(np.clip(c[d] - size // 2 + rng.integers(-size // 4, size // 4 + 1), 0, shape[d] - size))
                 for d in range(3)]
    else:
        start = [int(rng.integers(0, shape[d] - size + 1)) for d in range(3)]
    sl = tuple(slice(s, s + size) for s in start)
    xp, yp = x[(slice(None),) + sl], gt[sl]
    if rng.random() < 0.5:  # left-right flip (axis i)
        xp, yp = xp[:, ::-1], yp[::-1]
    xp = np.ascontiguousarray(xp)
    if intensity_aug > 0:  # per channel: scale 1 +- a, shift +- a (normalised units)
        sc = 1 + rng.uniform(-intensity_aug, intensity_aug, size=(xp.shape[0], 1, 1, 1))
        sh = rng.uniform(-intensity_aug, intensity_aug, size=(xp.shape[0], 1, 1, 1))
        xp = (xp * sc + sh).astype(np.float32)
    return xp, np.ascontiguousarray(yp)


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
    return dict(dice=dice, ndsc=ndsc, tp=tp, fp=fp, fn=fn, lesions=gn, detected=detected, recall=detected / gn if gn else 1.0,
                pred_lesions=pn, fp_lesions=fp_les)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default="/tmp/ies-train")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(HERE), "test-images", "models", "demo-unet"))
    ap.add_argument("--minutes", type=float, default=35)
    ap.add_argument("--style", choices=["classic", "realistic"], default="classic",
                    help="phantom style (realistic: ies phantom --style realistic --spacing 2; see above)")
    ap.add_argument("--train-seeds", type=int, help="phantom seeds 1..N for training (default 12; realistic 16)")
    ap.add_argument("--normalization", choices=sorted(NORMALIZE),
                    help="bundle normalisation (default zscore-nonzero; realistic zscore)")
    ap.add_argument("--name", help="bundle name (default demo-unet; realistic demo-unet-realistic)")
    ap.add_argument("--val-seed", type=int, default=500)
    ap.add_argument("--val-seeds", type=int, default=None,
                    help="number of validation phantoms from --val-seed on (threshold and minimum size tuned over "
                         "their pooled Dice; default 1, realistic 3)")
    ap.add_argument("--iterations", type=int,
                    help="train for this many iterations (reproducible whatever the load) instead of --minutes")
    ap.add_argument("--per-lesion", type=float,
                    help="share of lesion-centred patches that pick a lesion uniformly first (default 0; realistic 0.5)")
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
    realistic = a.style == "realistic"
    if a.train_seeds is None:
        a.train_seeds = 32 if realistic else 12
    if a.val_seeds is None:
        a.val_seeds = 3 if realistic else 1
    if a.per_lesion is None:
        a.per_lesion = 0.5 if realistic else 0.0
    if a.normalization is None:
        a.normalization = "zscore" if realistic else "zscore-nonzero"
    if a.name is None:
        a.name = "demo-unet-realistic" if realistic else "demo-unet"
    test_seeds = [int(s) for s in a.test_seeds.split(",")]
    val_seeds = list(range(a.val_seed, a.val_seed + a.val_seeds))
    all_seeds = list(range(1, a.train_seeds + 1)) + val_seeds + test_seeds
    if len(set(all_seeds)) != len(all_seeds):
        ap.error("training, validation and test seeds must be disjoint")
    print("style %s, normalisation %s; seeds: training 1..%d, validation %s, held-out test %s"
          % (a.style, a.normalization, a.train_seeds, ",".join(map(str, val_seeds)), ",".join(map(str, test_seeds))),
          flush=True)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.work, exist_ok=True)
    extra = a.phantom_args.split()
    t0 = time.time()
    if realistic:  # the training range in one JVM (--count), each subject the same as a single run
        missing = [s for s in range(1, a.train_seeds + 1)
                   if not os.path.exists(os.path.join(a.work, "realistic", "seed-%d" % s, "lesions.nii.gz"))]
        if missing:
            subprocess.run([a.ies, "phantom", "--out", os.path.join(a.work, "realistic"), "--seed", "1", "--count",
                            str(a.train_seeds), "-q"] + REALISTIC_ARGS + extra, check=True)
    ph = lambda s: phantom(a.work, s, extra, a.ies, a.style, a.normalization)  # noqa: E731
    train = [ph(s) for s in range(1, a.train_seeds + 1)]
    vals = [ph(s)[:2] for s in val_seeds]
    tests = {s: ph(s)[:2] for s in test_seeds}
    if realistic:
        comps = {id(t): lesion_components(t[1]) for t in train}
        sampler = lambda t: sample_patch(t[0], t[1], a.patch, rng, 0.5, t[2], 0.2, 0.1,  # noqa: E731
                                         comps[id(t)], a.per_lesion)
    else:
        sampler = lambda t: sample_patch(t[0], t[1], a.patch, rng)  # noqa: E731
    print("phantoms ready in %.0f s" % (time.time() - t0), flush=True)

    net = ies_unet.build(CONFIG)
    if a.init:
        net.load_state_dict(torch.load(a.init, map_location="cpu")["state_dict"])
    opt = torch.optim.Adam(net.parameters(), lr=a.lr, weight_decay=1e-5)
    deadline = time.time() + a.minutes * 60
    it, running = 0, None
    t_start = time.time()
    while (it < a.iterations) if a.iterations else (time.time() < deadline):
        net.train()
        xs, ys = zip(*(sampler(train[rng.integers(len(train))]) for _ in range(a.batch)))
        x = torch.from_numpy(np.stack(xs))
        y = torch.from_numpy(np.stack(ys).astype(np.int64))
        # learning rate: linear decay to 10% over the time budget
        frac = (it / a.iterations if a.iterations
                else min(1.0, (time.time() - t_start) / (a.minutes * 60)))
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
    ckpt = os.path.join(a.work, a.name + ".ckpt")
    if a.init and os.path.abspath(a.init) == os.path.abspath(ckpt):
        ckpt = os.path.join(a.work, a.name + "-finetuned.ckpt")
    torch.save({"arch": "ies_unet", "config": CONFIG, "state_dict": net.state_dict()}, ckpt)

    # threshold (and, realistic, the minimum lesion size) tuned on the validation phantoms: the pooled voxel Dice
    # (sum of 2TP over sum of 2TP + FP + FN), ties to the larger minimum size
    overlap, blending = 0.25, "gaussian"
    vprobs = [(predict(net, x, a.bundle_patch, overlap, blending), gt) for x, gt in vals]

    def pooled(t, mv):
        tp = fpn = 0.0
        for p, gt in vprobs:
            m = metrics(p, gt, t, mv)
            tp += m["tp"]
            fpn += m["fp"] + m["fn"]
        return 2 * tp / (2 * tp + fpn) if tp + fpn else 1.0

    sizes = [6] if not realistic else [6, 4, 3]
    best = max(((pooled(t, mv), mv, t) for mv in sizes for t in np.arange(0.1, 0.91, 0.05)))
    min_vox, thr = best[1], round(float(best[2]), 2)
    print("validation: best pooled Dice %.4f at threshold %.2f, minimum lesion size %d voxels"
          % (best[0], thr, min_vox), flush=True)
    results = {}
    for s, (x, gt) in tests.items():
        results[s] = metrics(predict(net, x, a.bundle_patch, overlap, blending), gt, thr, min_vox)
        print("test seed %d: %s" % (s, json.dumps(results[s])), flush=True)
    mean = {k: float(np.mean([r[k] for r in results.values()])) for k in ("dice", "ndsc", "recall")}
    for r in results.values():
        for k in ("tp", "fp", "fn"):
            r.pop(k)
    print("held-out mean: %s" % json.dumps(mean), flush=True)

    meta = {"format": "ies-model/1", "name": a.name,
            "description": "Demo 3D U-Net (MONAI UNet layout, channels %s, BatchNorm, PReLU) trained on synthetic "
                           "%sphantoms (seeds 1..%d) by scripts/train_demo_model.py; not for clinical use"
                           % (CONFIG["channels"], "realistic-style " if realistic else "", a.train_seeds),
            "inputs": ["FLAIR", "MPRAGE"], "normalization": a.normalization, "patch_size": a.bundle_patch,
            "overlap": overlap, "blending": blending, "activation": "softmax", "lesion_channel": 1,
            "threshold": thr, "min_lesion_voxels": min_vox, "connectivity": 18, "features": True,
            # realistic: the grid the phantoms are on, so inputs on another grid (e.g. 2.5 mm LAS) are resampled to it
            **({"orientation": "RAS", "spacing": [2.0, 2.0, 2.0]} if realistic else {}),
            "training": {"style": a.style, "argv": sys.argv[1:], "seed": a.seed, "lr": a.lr, "iterations": it, "init": a.init, "seconds": round(train_s), "train_seeds": [1, a.train_seeds],
                         "val_seeds": val_seeds, "per_lesion": a.per_lesion, "test_seeds": sorted(tests), "patch": a.patch, "batch": a.batch,
                         "threads": a.threads, "held_out": {str(k): v for k, v in results.items()},
                         "held_out_mean": mean}}
    export_torchscript.export(net, LAYER, a.out, meta, a.bundle_patch, 2)
    print("done: %d iterations in %.0f s" % (it, train_s))


if __name__ == "__main__":
    main()
