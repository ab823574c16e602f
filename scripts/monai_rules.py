"""Independent Python re-implementation of the MONAI rules the Java runtime reproduces (MONAI is not installed):
NormalizeIntensity(nonzero=True, channel_wise=True) and sliding_window_inference (monai/inferers/utils.py and
monai/data/utils.py, MONAI >= 1.0: scan interval, dense_patch_slices, compute_importance_map, symmetric zero
padding of volumes smaller than the window, blending of the predictor's raw outputs).
Used by scripts/fixtures/make_model_fixtures.py (test fixtures) and scripts/train_demo_model.py (evaluation).
"""
import math

import numpy as np
import torch
import torch.nn.functional as F


def zscore_nonzero(x):
    """NormalizeIntensity(nonzero=True, channel_wise=True): population std over each channel's nonzero voxels."""
    out = x.copy()
    for c in range(x.shape[0]):
        nz = x[c] != 0
        if nz.any():
            v = x[c][nz].astype(np.float64)
            mean, std = v.mean(), v.std()
            if std == 0:
                std = 1.0
            out[c][nz] = ((v - mean) / std).astype(np.float32)
    return out


def scan_interval(image_size, roi, overlap):
    out = []
    for i in range(len(roi)):
        if roi[i] == image_size[i]:
            out.append(int(roi[i]))
        else:
            interval = int(roi[i] * (1 - overlap))
            out.append(interval if interval > 0 else 1)
    return out


def dense_patch_slices(image_size, patch, interval):
    starts = []
    for d in range(len(image_size)):
        num = int(math.ceil(float(image_size[d]) / interval[d]))
        scan_dim = next((k for k in range(num) if k * interval[d] + patch[d] >= image_size[d]), None)
        n = scan_dim + 1 if scan_dim is not None else 1
        ds = []
        for idx in range(n):
            s = idx * interval[d]
            s -= max(s + patch[d] - image_size[d], 0)
            ds.append(s)
        starts.append(ds)
    grid = np.asarray([g.flatten() for g in np.meshgrid(*starts, indexing="ij")]).T
    return [tuple(slice(int(s), int(s) + patch[d]) for d, s in enumerate(x)) for x in grid]


def importance_map(patch, mode, sigma_scale=0.125):
    if mode == "constant":
        m = torch.ones(patch, dtype=torch.float)
    else:
        m = None
        for i, p in enumerate(patch):
            sigma = p * sigma_scale
            x = torch.arange(start=-(p - 1) / 2.0, end=(p - 1) / 2.0 + 1, dtype=torch.float)
            x = torch.exp(x ** 2 / (-2 * sigma ** 2))
            m = x if i == 0 else m.unsqueeze(-1) * x[(None,) * i]
    m = torch.clamp(m, min=max(torch.min(m).item(), 1e-3))
    m = torch.clamp(m, min=max(m[m != 0].min().item(), 1e-3))
    return m


def sliding_window(x, roi, sw_batch, predictor, overlap, mode):
    """x: [1, C, *spatial] (already normalised). Returns blended logits [1, K, *spatial]."""
    nd = 3
    image_size_ = list(x.shape[2:])
    image_size = [max(image_size_[i], roi[i]) for i in range(nd)]
    pad = []
    for k in range(len(x.shape) - 1, 1, -1):
        diff = max(roi[k - 2] - x.shape[k], 0)
        half = diff // 2
        pad.extend([half, diff - half])
    if any(pad):
        x = F.pad(x, pad=pad, mode="constant", value=0.0)
    interval = scan_interval(image_size, roi, overlap)
    slices = dense_patch_slices(image_size, roi, interval)
    imp = importance_map(roi, mode)[None, None]
    out, count = None, torch.zeros([1, 1] + image_size)
    for g in range(0, len(slices), sw_batch):
        group = slices[g:g + sw_batch]
        win = torch.cat([x[(slice(None), slice(None)) + s] for s in group])
        with torch.no_grad():
            pred = predictor(win)
        if out is None:
            out = torch.zeros([1, pred.shape[1]] + image_size)
        for p, s in zip(pred, group):
            out[(slice(None), slice(None)) + s] += p[None] * imp
            count[(slice(None), slice(None)) + s] += imp
    out = out / count
    crop = []
    for sp in range(nd):
        crop.insert(0, slice(pad[sp * 2], image_size_[nd - sp - 1] + pad[sp * 2]))
    return out[(slice(None), slice(None)) + tuple(crop)], len(slices)


