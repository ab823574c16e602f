#!/usr/bin/env python3
"""Independent synthetic MS-brain phantom (FLAIR + MPRAGE) for generalisation checks (issue 24).

Written from scratch, on purpose NOT sharing code, shapes or random draws with the project's Java generator
(`ies phantom`): it measures how a model trained on the project's phantoms copes with another generator, another
voxel size and another orientation (LAS: voxel axis i runs right-to-left). Not used for training.

  /usr/bin/python3 scripts/independent_phantom.py --out DIR --seed S [--spacing 2.5] [--lesions 20]

Writes DIR/flair.nii.gz, mprage.nii.gz (float32; WM about 1000 / 800), lesions.nii.gz (uint8 0/1), brainmask.nii.gz
(uint8: GM, WM, deep GM, ventricles, lesions), tissues.nii.gz (uint8 majority label: 0 background, 1 scalp,
2 skull, 4 CSF, 5 cortical GM, 6 deep GM, 7 WM, 8 ventricles) and phantom.json (every parameter, lesion list).
Model: the anatomy is defined analytically in mm (same seed -> same head at every spacing), labelled on a 2x
supersampled grid and averaged to the target grid (partial volume). Head: egg-shaped ellipsoid, scalp (fat), skull,
CSF; brain surface perturbed by smooth noise; sulci = the zero set of a band-limited random field (random plane
waves, 24 mm wavelength) cut 8-16 mm deep; interhemispheric and Sylvian fissures; cortical GM = brain tissue within
2-3.5 mm of CSF (distance transform); WM inside; caudate, putamen, thalamus ellipsoids; lateral ventricles as
C-shaped tubes (frontal horn, body, atrium, occipital and temporal horns) plus a slit-like third ventricle, scaled
per subject (0.8-1.6). Lesions: rotated, noise-roughened ellipsoids of 30-1500 mm3 (log-uniform), half
periventricular (centre 1.5-8 mm from a ventricle, long axis perpendicular to the wall), the rest deep or
juxtacortical WM; confined to WM; soft edge; FLAIR 1.3-1.8 x WM, MPRAGE 0.6-1.0 x WM. Then a smooth multiplicative
bias (1 -+ 0.15 over the head, per sequence, then normalised to a WM mean of 1), 2.5 % tissue texture and Rician
noise (sigma 3 % of WM) everywhere, background included.
"""
import argparse, json, os, sys, time
import numpy as np
import nibabel as nib
from scipy import ndimage as ndi

FOV = (190.0, 225.0, 190.0)
BG, SCALP, SKULL, CSF, GM, DGM, WM, VENT = 0, 1, 2, 4, 5, 6, 7, 8
NAMES = {SCALP: 'scalp', SKULL: 'skull', CSF: 'csf', GM: 'cortical_gm', DGM: 'deep_gm', WM: 'wm', VENT: 'ventricles'}
REL = {BG: (0, 0), SCALP: (1.2, 1.3), SKULL: (0.1, 0.1), CSF: (0.15, 0.2), GM: (1.35, 0.7), DGM: (1.22, 0.8),
       WM: (1.0, 1.0), VENT: (0.15, 0.2)}  # (FLAIR, MPRAGE) relative to WM
SCALE = (1000.0, 800.0)
# lateral ventricle keyframes (x, y, z mm from the brain centre for a 132 x 168 x 132 mm brain, radius mm)
VENT_MAIN = [(6, 32, 8, 3.0), (7, 18, 14, 4.0), (8, 0, 17, 4.5), (12, -18, 15, 4.5), (19, -30, 6, 5.5), (14, -46, 4, 2.5)]
VENT_TEMP = [(19, -30, 6, 5.5), (25, -22, -6, 4.0), (28, -8, -14, 3.0), (29, 2, -18, 2.0)]
DEEP = [((11, 17, 9), (4.5, 9, 7)), ((24, 3, 0), (5, 13, 8)), ((9, -11, 4), (7, 12, 8))]  # caudate, putamen, thalamus


def waves(rng, X, Y, Z, n, wavelength, spread=0.25):
    """Smooth random field of unit variance: n plane waves, random directions, wavelengths around `wavelength`."""
    f = 0.0
    for _ in range(n):
        d = rng.normal(size=3)
        w = d / np.linalg.norm(d) * 2 * np.pi / (wavelength * np.exp(rng.uniform(-spread, spread)))
        f = f + np.cos(w[0] * X + w[1] * Y + w[2] * Z + rng.uniform(0, 2 * np.pi)).astype(np.float32)
    return f * np.float32(np.sqrt(2.0 / n))


def down(a):
    n = [s // 2 for s in a.shape]
    return a.reshape(n[0], 2, n[1], 2, n[2], 2).mean(axis=(1, 3, 5), dtype=np.float32)


def generate(seed, s, nles):
    rng = np.random.default_rng(seed)
    n = tuple(int(round(f / s)) for f in FOV)
    sign = (-1.0, 1.0, 1.0)  # LAS
    fine = [sign[a] * s * ((np.arange(2 * n[a]) + 0.5) / 2 - 0.5 - (n[a] - 1) / 2) for a in range(3)]
    h = s / 2
    P = {}  # every drawn parameter
    P['head_scale'] = round(float(rng.uniform(0.93, 1.03)), 4)
    ha = np.array([80.0, 98.0, 80.0]) * P['head_scale'] * rng.uniform(0.97, 1.03, 3)
    hc = np.array([0.0, rng.uniform(-4, 2), rng.uniform(-4, 4)])
    P.update(head_semi_axes_mm=ha.round(2).tolist(), head_centre_mm=hc.round(2).tolist(),
             scalp_mm=round(rng.uniform(4, 6.5), 2), skull_mm=round(rng.uniform(5, 7.5), 2), csf_mm=round(rng.uniform(2.5, 4), 2),
             egg=round(rng.uniform(0.04, 0.09), 3), ventricle_scale=round(rng.uniform(0.8, 1.6), 3),
             sulcus_depth_mm=round(rng.uniform(9, 13), 2), cortex_mm=round(rng.uniform(2.4, 3.0), 2))
    X = (fine[0] - hc[0])[:, None, None].astype(np.float32)
    Y = (fine[1] - hc[1])[None, :, None].astype(np.float32)
    Z = (fine[2] - hc[2])[None, None, :].astype(np.float32)
    egg = 1 - P['egg'] * Y / ha[1]  # wider at the back

    def rho(t):
        return np.sqrt((X / ((ha[0] - t) * egg)) ** 2 + (Y / (ha[1] - t)) ** 2 + (Z / (ha[2] - t)) ** 2)
    lab = np.zeros(tuple(2 * k for k in n), np.uint8)
    t1, t2, t3 = P['scalp_mm'], P['scalp_mm'] + P['skull_mm'], P['scalp_mm'] + P['skull_mm'] + P['csf_mm']
    lab[rho(0) * (1 + 0.01 * waves(rng, X, Y, Z, 6, 120)) < 1] = SCALP
    lab[rho(t1) * (1 + 0.008 * waves(rng, X, Y, Z, 6, 100)) < 1] = SKULL
    lab[rho(t2) < 1] = CSF
    rb = rho(t3) * (1 + 0.02 * waves(rng, X, Y, Z, 10, 70))
    brain = (rb < 1) & (rho(t2 + 1) < 1)
    ba = ha - t3  # brain semi-axes
    bs = ba / np.array([66.0, 84.0, 66.0])
    depth = np.sqrt(X ** 2 + Y ** 2 + Z ** 2) * (1 - rb) / np.maximum(rb, 1e-3)  # mm below the brain surface
    f = waves(rng, X, Y, Z, 32, 24.0)
    sd = P['sulcus_depth_mm'] * (1 + 0.25 * waves(rng, X, Y, Z, 6, 60))
    width = 0.24 + 0.16 * np.clip(1 - depth / sd, 0, 1)  # sulci open towards the surface
    sulci = (np.abs(f) < width) & (depth < sd)
    del f, width, sd
    zc = 22 * bs[2] - 36 * np.clip((np.abs(Y) - 35 * bs[1]) / 25, 0, 1)  # fissure reaches the callosum mid-brain
    fiss = (np.abs(X - 1.2 * waves(rng, X, Y, Z, 4, 80)) < 1.1) & (Z > zc)
    zs = -6 * bs[2] + 0.3 * Y + 0.25 * (np.abs(X) - 0.6 * ba[0]) + 3 * waves(rng, X, Y, Z, 4, 40)  # Sylvian fissure
    syl = (np.abs(Z - zs) < 1.1) & (np.abs(X) > 0.6 * ba[0]) & (Y > -25 * bs[1]) & (Y < 30 * bs[1])
    tissue = brain & ~sulci & ~fiss & ~syl
    del sulci, fiss, syl, zs, depth, rb
    dist = ndi.distance_transform_edt(tissue, sampling=h)
    thick = P['cortex_mm'] * (1 + 0.18 * waves(rng, X, Y, Z, 6, 50))
    lab[tissue] = WM
    lab[tissue & (dist < thick)] = GM
    del dist, thick, tissue, brain

    def box(c, r):
        sl = []
        for a in range(3):
            i0, i1 = sorted(2 * sign[a] * (c[a] + d) / s + n[a] - 0.5 for d in (-r, r))
            sl.append(slice(max(0, int(np.floor(i0))), min(2 * n[a], int(np.ceil(i1)) + 1)))
        return tuple(sl)

    def local(c, r):
        sl = box(c, r)
        return sl, [(fine[a][sl[a]] - c[a]).reshape([-1 if b == a else 1 for b in range(3)]) for a in range(3)]

    def paint(c, ax, value, only=None):
        sl, (dx, dy, dz) = local(c, max(ax))
        m = (dx / ax[0]) ** 2 + (dy / ax[1]) ** 2 + (dz / ax[2]) ** 2 < 1
        if only is not None:
            m &= lab[sl] == only
        lab[sl][m] = value
    bc = hc
    for (x, y, z), ax in DEEP:
        for side in (1, -1):
            paint(bc + np.array([side * x, y, z]) * bs, np.array(ax) * bs, DGM, only=WM)
    vs = P['ventricle_scale']
    jit = rng.normal(0, 1.5, (2, len(VENT_MAIN) + len(VENT_TEMP) - 1, 3))
    for si, side in enumerate((1, -1)):
        main = np.array(VENT_MAIN, float)
        main[:, :3] += jit[si, :len(VENT_MAIN)]
        temp = np.array(VENT_TEMP, float)
        temp[0], temp[1:, :3] = main[4], temp[1:, :3] + jit[si, len(VENT_MAIN):]
        for chain in (main, temp):
            for p0, p1 in zip(chain[:-1], chain[1:]):
                for t in np.linspace(0, 1, int(np.linalg.norm(p1[:3] - p0[:3])) + 2):
                    x, y, z, r = p0 + t * (p1 - p0)
                    r *= vs
                    x = max(abs(x), r + 1.5)
                    paint(bc + np.array([side * x, y, z]) * bs, np.array([r, r, 0.8 * r]), VENT)
    paint(bc + np.array([0, -6, 2]) * bs, np.array([1.2 * np.sqrt(vs), 11, 7]) * bs, VENT)
    # lesions
    dv = ndi.distance_transform_edt(lab != VENT, sampling=h)
    dc = ndi.distance_transform_edt(~np.isin(lab, (GM, CSF, BG, SKULL)), sampling=h)
    wm = lab == WM
    pools = {'periventricular': np.flatnonzero(wm & (dv >= 1.5) & (dv <= 8)),
             'juxtacortical': np.flatnonzero(wm & (dc >= 1.5) & (dc <= 4.5) & (dv > 12)),
             'deep': np.flatnonzero(wm & (dc > 5) & (dv > 10))}
    del wm, dc
    Ff = np.array([REL.get(k, (0, 0))[0] for k in range(9)], np.float32)[lab]
    Mf = np.array([REL.get(k, (0, 0))[1] for k in range(9)], np.float32)[lab]
    lid = np.zeros(lab.shape, np.uint8)
    lesions = []
    for k in range(nles):
        kind = 'periventricular' if k < (nles + 1) // 2 else str(rng.choice(['deep', 'juxtacortical']))
        kind = kind if len(pools[kind]) else 'deep'
        for attempt in range(60):
            vol = float(np.exp(rng.uniform(np.log(30), np.log(1500))))
            ratios = np.sort(np.exp(rng.normal(0, 0.3, 3)))[::-1] * ([1.4, 1, 1] if kind == 'periventricular' else 1)
            axes = (3 * vol / (4 * np.pi)) ** (1 / 3) * ratios / np.prod(ratios) ** (1 / 3)
            idx = np.unravel_index(rng.choice(pools[kind]), lab.shape)
            c = np.array([fine[a][idx[a]] for a in range(3)]) + rng.uniform(-h / 2, h / 2, 3)
            Q = np.linalg.qr(rng.normal(size=(3, 3)))[0]
            if kind == 'periventricular':  # long axis along the distance gradient (Dawson's finger)
                g = np.array([(dv[tuple(min(max(idx[b] + (d if b == a else 0), 0), lab.shape[b] - 1) for b in range(3))])
                              for a in range(3) for d in (1, -1)]).reshape(3, 2) @ [1, -1] * np.array(sign)
                if np.linalg.norm(g) > 0:
                    Q = np.linalg.qr(np.column_stack([g, rng.normal(size=(3, 2))]))[0]
            sl, d = local(c, 1.5 * axes[0])
            u = [Q[0, j] * d[0] + Q[1, j] * d[1] + Q[2, j] * d[2] for j in range(3)]
            r = np.sqrt(sum((u[j] / axes[j]) ** 2 for j in range(3)))
            r = r / (1 + 0.15 * waves(rng, *d, 4, 2.2 * axes.mean()))
            L = np.clip((1.15 - r) / 0.3, 0, 1)
            L = L * L * (3 - 2 * L)
            core, inwm = L >= 0.5, lab[sl] == WM
            if core.sum() == 0 or (core & inwm).sum() < 0.6 * core.sum() or (lid[sl][core] > 0).any():
                continue
            cf, cm = float(rng.uniform(1.3, 1.8)), float(rng.uniform(0.6, 1.0))
            Lw = (L * inwm).astype(np.float32)
            Ff[sl] = Ff[sl] * (1 - Lw) + cf * Lw
            Mf[sl] = Mf[sl] * (1 - Lw) + cm * Lw
            lid[sl][core & inwm] = len(lesions) + 1
            lesions.append(dict(id=len(lesions) + 1, kind=kind, centre_mm=c.round(2).tolist(), planned_volume_mm3=round(vol, 1),
                                semi_axes_mm=axes.round(2).tolist(), fine_volume_mm3=round(float((core & inwm).sum()) * h ** 3, 1),
                                flair_contrast=round(cf, 4), mprage_contrast=round(cm, 4), attempts=attempt + 1))
            break
    del dv
    # downsample: partial volume
    F, M = down(Ff), down(Mf)
    del Ff, Mf
    fr = np.stack([down((lab == c).astype(np.float32)) for c in range(9)])
    tissues = fr.argmax(0).astype(np.uint8)
    lesmask = down((lid > 0).astype(np.float32)) >= 0.5
    share = np.stack([down((lid == i + 1).astype(np.float32)) for i in range(len(lesions))]) if lesions else None
    for i, les in enumerate(lesions):
        les['voxels'] = int((lesmask & (share.argmax(0) == i)).sum())
        v = np.argwhere(lesmask & (share.argmax(0) == i))
        les['centroid_voxel'] = v.mean(0).round(2).tolist() if len(v) else None
    brainmask = (fr[[GM, DGM, WM, VENT]].sum(0) >= 0.5) | lesmask
    # scanner: bias, texture, Rician noise (coarse grid)
    cx, cy, cz = [(fine[a][0::2] + fine[a][1::2]).reshape([-1 if b == a else 1 for b in range(3)]) / 2 for a in range(3)]
    head = tissues > 0
    P.update(bias_amplitude=0.15, texture=0.025, texture_sigma_mm=3.0, noise_sigma_rel_wm=0.03)
    tex = ndi.gaussian_filter(rng.normal(size=n).astype(np.float32), 3.0 / s)
    tex = 1 + P['texture'] * tex / tex.std() * (fr[[GM, DGM, WM]].sum(0) > 0)
    out = []
    for seq, img, sc in (('flair', F, SCALE[0]), ('mprage', M, SCALE[1])):
        b = waves(rng, cx, cy, cz, 3, 280, 0.3)
        lo, hi = b[head].min(), b[head].max()
        b = 1 + P['bias_amplitude'] * (2 * b - lo - hi) / (hi - lo)  # spans 1 -+ amplitude in the head
        b = b / b[fr[WM] == 1].mean()  # keeps the mean WM at the nominal scale
        P[f'bias_range_{seq}'] = [round(float(b[head].min()), 4), round(float(b[head].max()), 4)]
        sig = P['noise_sigma_rel_wm'] * sc
        clean = img * b * tex * sc
        out.append(np.sqrt((clean + rng.normal(0, sig, n)) ** 2 + rng.normal(0, sig, n) ** 2).astype(np.float32))
    means = {}
    for c, name in NAMES.items():
        pure = (fr[c] == 1) & ~lesmask
        means[name] = [round(float(o[pure].mean()), 1) if pure.any() else None for o in out]
    means['lesions'] = [round(float(o[lesmask].mean()), 1) if lesmask.any() else None for o in out]
    means['background'] = [round(float(o[tissues == BG].mean()), 1) for o in out]
    return dict(n=n, flair=out[0], mprage=out[1], lesions=lesmask.astype(np.uint8), brainmask=brainmask.astype(np.uint8),
                tissues=tissues, params=P, lesion_list=lesions, means=means)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', required=True)
    ap.add_argument('--seed', type=int, required=True)
    ap.add_argument('--spacing', type=float, default=2.5)
    ap.add_argument('--lesions', type=int, default=20)
    a = ap.parse_args()
    if not 0.75 <= a.spacing <= 6 or not 0 <= a.lesions <= 200 or a.seed < 0:
        print('independent_phantom: need 0.75 <= --spacing <= 6, 0 <= --lesions <= 200, --seed >= 0', file=sys.stderr)
        sys.exit(2)
    if os.path.exists(a.out) and (not os.path.isdir(a.out) or os.listdir(a.out)):
        print(f'independent_phantom: {a.out} exists and is not an empty folder; refusing to write', file=sys.stderr)
        sys.exit(2)
    t0 = time.time()
    r = generate(a.seed, a.spacing, a.lesions)
    n, s = r['n'], a.spacing
    aff = np.diag([-s, s, s, 1.0])
    aff[:3, 3] = [s * (n[0] - 1) / 2, -s * (n[1] - 1) / 2, -s * (n[2] - 1) / 2]
    os.makedirs(a.out, exist_ok=True)
    for name in ('flair', 'mprage', 'lesions', 'brainmask', 'tissues'):
        img = nib.Nifti1Image(r[name], aff)
        img.set_sform(aff, 1)
        img.set_qform(aff, 1)
        img.header.set_xyzt_units('mm')
        nib.save(img, os.path.join(a.out, name + '.nii.gz'))
    les = r['lesion_list']
    meta = dict(format='ies-independent-phantom/1', generator='scripts/independent_phantom.py', seed=a.seed,
                spacing_mm=s, shape=list(n), orientation='LAS', affine=aff.round(4).tolist(), fov_mm=list(FOV),
                wm_scale=dict(flair=SCALE[0], mprage=SCALE[1]),
                relative_intensities={NAMES.get(k, 'background'): v for k, v in REL.items()},
                tissue_labels={str(k): v for k, v in NAMES.items()}, parameters=r['params'],
                lesions_requested=a.lesions, lesion_count=len(les), lesions_with_voxels=sum(l['voxels'] > 0 for l in les),
                lesion_voxels_total=int(r['lesions'].sum()),
                lesion_volume_mm3=round(float(r['lesions'].sum()) * s ** 3, 1),
                measured_means_flair_mprage=r['means'], lesions=les)
    with open(os.path.join(a.out, 'phantom.json'), 'w') as fh:
        json.dump(meta, fh, indent=1)
    print(f"{a.out}: grid {n[0]}x{n[1]}x{n[2]} at {s:g} mm LAS, {len(les)} lesions "
          f"({meta['lesions_with_voxels']} with voxels), {meta['lesion_voxels_total']} lesion voxels, {time.time() - t0:.1f} s")


if __name__ == '__main__':
    main()
