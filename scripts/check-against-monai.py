#!/usr/bin/python3
"""Checks the project's plain-PyTorch transcriptions of MONAI against MONAI itself.

MONAI cannot be installed here (no PyPI), but its source runs on Debian's PyTorch 1.13: give the folder that holds
its `monai` package (a git checkout or `git archive` of Project-MONAI/MONAI, e.g. 1.5.0), or leave --monai-src out
when `import monai` works.

  /usr/bin/python3 scripts/check-against-monai.py --monai-src /tmp/monai-src

Checks, each against MONAI's own code:
  1. layouts: scripts/monai_layouts.py's UNet (num_res_units 0 and 2), DynUNet (plain and residual blocks) and
     SegResNet, and scripts/ies_unet.py's
     UNet (the demo and test models), with the configurations and seeds of the test fixtures: MONAI's network of the
     same arguments takes their state dict with strict=True (same module names and shapes, so the explained layers
     are named as in MONAI) and gives the same output on a random input (eval mode) within 1e-5 of its range; and the
     shipped demo model's TorchScript weights, loaded into MONAI's UNet, give the TorchScript file's output;
  2. normalisation: the sw-* fixtures' zscore-nonzero inputs against NormalizeIntensity(nonzero=True,
     channel_wise=True) (within 1e-5);
  3. sliding window: the sw-* fixtures' blended logits (scripts/monai_rules.py's sliding_window, which the Java code
     is tested against) against monai.inferers.sliding_window_inference with the same predictor, patch, overlap,
     mode and batch size (within 1e-5 of the range).
  4. model geometry: the eight ModelGrid fixtures (src/test/resources/geometry, which the Java code is tested
     against) against MONAI's Orientation then Spacing on the fixtures' native images loaded by MONAI's LoadImage:
     model shape and affine (1e-6), trilinear values (1e-5 of the range); nearest-neighbour labels are reported
     (MONAI decides exact ties by floating-point rounding, docs/model.md).
Exits 1 when a check fails. Takes under a minute.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "fixtures"))


def rel(a, b):
    a, b = a.detach().double(), b.detach().double()
    scale = max(float(b.abs().max()), 1e-30)
    return float((a - b).abs().max()) / scale


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--monai-src", help="folder holding the monai package (default: the installed one)")
    args = ap.parse_args()
    if args.monai_src:
        sys.path.insert(0, args.monai_src)
    import monai
    from monai.networks.nets import UNet, DynUNet, SegResNet
    from monai.inferers import sliding_window_inference
    from monai.transforms import NormalizeIntensity
    import monai_layouts
    import ies_unet
    import make_model_fixtures
    from monai_rules import sliding_window

    print("MONAI %s from %s, PyTorch %s" % (monai.__version__, os.path.dirname(monai.__file__), torch.__version__))
    failures = []

    def report(what, err, tol):
        ok = err <= tol
        print("%-78s %s  %.2e (tolerance %.0e)" % (what, "ok  " if ok else "FAIL", err, tol))
        if not ok:
            failures.append(what)

    # 1. layouts
    torch.set_grad_enabled(False)
    cases = []
    torch.manual_seed(4)
    ours = monai_layouts.randomize_norm_statistics(
        monai_layouts.UNet(2, 2, channels=(4, 8, 16), strides=(2, 2), num_res_units=0, norm="batch"), 4)
    cases.append(("unet4: UNet(channels 4,8,16, strides 2,2, num_res_units=0, batch norm)", ours,
                  UNet(3, 2, 2, channels=(4, 8, 16), strides=(2, 2), num_res_units=0, norm="batch"), (1, 2, 32, 40, 28),
                  "model.1.submodule.2.conv"))
    torch.manual_seed(16)
    ours = monai_layouts.randomize_norm_statistics(
        monai_layouts.UNet(2, 2, channels=(4, 8, 8, 16, 16), strides=(2, 2, 2, 2), num_res_units=2, norm="batch"), 16)
    cases.append(("resunet16: UNet(channels 4,8,8,16,16, strides 2,2,2,2, num_res_units=2)", ours,
                  UNet(3, 2, 2, channels=(4, 8, 8, 16, 16), strides=(2, 2, 2, 2), num_res_units=2, norm="batch"),
                  (1, 2, 32, 48, 32), "model.1.submodule.2"))
    torch.manual_seed(88)
    ours = monai_layouts.randomize_norm_statistics(
        monai_layouts.DynUNet(2, 2, kernel_size=[3, 3, 3], strides=[1, 2, 2], upsample_kernel_size=[2, 2], filters=(4, 8, 16)), 88)
    cases.append(("dynunet4: DynUNet(kernels 3, strides 1,2,2, filters 4,8,16, instance norm)", ours,
                  DynUNet(3, 2, 2, kernel_size=[3, 3, 3], strides=[1, 2, 2], upsample_kernel_size=[2, 2], filters=(4, 8, 16),
                          norm_name=("INSTANCE", {"affine": True}), deep_supervision=False), (1, 2, 16, 24, 16), "upsamples.0"))
    torch.manual_seed(89)
    ours = monai_layouts.randomize_norm_statistics(
        monai_layouts.DynUNet(2, 2, kernel_size=[3, 3, 3], strides=[1, 2, 2], upsample_kernel_size=[2, 2], filters=(4, 8, 16),
                              res_block=True), 89)
    cases.append(("DynUNet with residual blocks (res_block=True)", ours,
                  DynUNet(3, 2, 2, kernel_size=[3, 3, 3], strides=[1, 2, 2], upsample_kernel_size=[2, 2], filters=(4, 8, 16),
                          norm_name=("INSTANCE", {"affine": True}), deep_supervision=False, res_block=True), (1, 2, 16, 24, 16), "upsamples.0"))
    torch.manual_seed(8)
    ours = monai_layouts.randomize_norm_statistics(
        monai_layouts.SegResNet(2, 2, init_filters=4, blocks_down=(1, 1, 2, 2), num_groups=2), 8)
    cases.append(("segresnet: SegResNet(init_filters 4, blocks_down 1,1,2,2, GroupNorm 2)", ours,
                  SegResNet(3, init_filters=4, in_channels=2, out_channels=2, blocks_down=(1, 1, 2, 2), blocks_up=(1, 1, 1),
                            norm=("GROUP", {"num_groups": 2}), upsample_mode="nontrainable"), (1, 2, 16, 24, 16), "up_layers.1"))
    tiny = make_model_fixtures.tiny_net()
    cases.append(("ies_unet: the demo/test models' UNet(channels 4,8,16, strides 2,2) as MONAI's UNet", tiny,
                  UNet(3, 2, 2, channels=(4, 8, 16), strides=(2, 2), num_res_units=0, norm="batch"), (1, 2, 24, 32, 20),
                  "model.1.submodule.2.conv"))
    torch.manual_seed(0)
    demo = ies_unet.UNet(in_channels=2, out_channels=2, channels=(16, 32, 64, 128), strides=(2, 2, 2))
    cases.append(("ies_unet: the demo model's UNet(channels 16,32,64,128, strides 2,2,2) as MONAI's UNet",
                  monai_layouts.randomize_norm_statistics(demo, 3),
                  UNet(3, 2, 2, channels=(16, 32, 64, 128), strides=(2, 2, 2), num_res_units=0, norm="batch"), (1, 2, 48, 56, 40),
                  "model.1.submodule.1.submodule.2.conv"))
    for what, ours, theirs, shape, layer in cases:
        ours.eval()
        theirs.eval()
        missing = theirs.load_state_dict(ours.state_dict(), strict=True)
        assert not missing.missing_keys and not missing.unexpected_keys, missing
        if layer not in dict(theirs.named_modules()):
            failures.append(what + ": no module " + layer + " in MONAI's network")
            print("%-78s FAIL  no module %s" % (what, layer))
            continue
        g = torch.Generator().manual_seed(len(what))
        x = torch.randn(shape, generator=g)
        report(what, rel(ours(x), theirs(x)), 1e-5)

    # the shipped demo model itself: its TorchScript weights in MONAI's UNet give the TorchScript's output
    demo_pt = os.path.join(ROOT, "test-images", "models", "demo-unet", "model.pt")
    scripted = torch.jit.load(demo_pt).eval()
    # the exporter wraps the explained layer (".layer" inside it) to expose its activations
    sd = {k[len("net."):].replace(".layer.", "."): v for k, v in scripted.state_dict().items() if k.startswith("net.")}
    theirs = UNet(3, 2, 2, channels=(16, 32, 64, 128), strides=(2, 2, 2), num_res_units=0, norm="batch").eval()
    theirs.load_state_dict(sd, strict=True)
    x = torch.randn((1, 2, 64, 64, 64), generator=torch.Generator().manual_seed(5))
    out = scripted(x)
    out = out[0] if isinstance(out, (tuple, list)) else out
    report("the shipped demo model (model.pt) as MONAI's UNet with its weights", rel(out, theirs(x)), 1e-5)

    # 2. and 3. normalisation and sliding window on the sw-* fixtures
    res = os.path.join(ROOT, "src", "test", "resources", "model")
    with open(os.path.join(res, "fixtures.json")) as f:
        index = json.load(f)

    def load(name):
        return torch.from_numpy(np.fromfile(os.path.join(res, name), dtype="<f4").reshape(index["shapes"][name]))

    tiny = make_model_fixtures.tiny_net()
    for name, c in index["cases"].items():
        raw, norm, logits = load(name + "/raw.f32"), load(name + "/normalized.f32"), load(name + "/logits.f32")
        mn = NormalizeIntensity(nonzero=True, channel_wise=True)(raw.clone())
        report("%s: zscore-nonzero against NormalizeIntensity(nonzero, channel_wise)" % name,
               rel(torch.as_tensor(mn), norm), 1e-5)
        ref = sliding_window_inference(norm[None], tuple(c["patch_size"]), c["sw_batch_size"], tiny, overlap=c["overlap"],
                                       mode=c["blending"])
        report("%s: fixture logits against sliding_window_inference (overlap %g, %s)" % (name, c["overlap"], c["blending"]),
               rel(logits, torch.as_tensor(ref)[0]), 1e-5)
        mine, _ = sliding_window(norm[None], c["patch_size"], c["sw_batch_size"], tiny, c["overlap"], c["blending"])
        report("%s: monai_rules.sliding_window against sliding_window_inference" % name, rel(mine[0], torch.as_tensor(ref)[0]), 1e-5)

    # 4. model geometry: the ModelGrid fixtures against MONAI's Orientation then Spacing (its defaults: bilinear,
    # border padding, align_corners False; nearest for labels), on the fixtures' native images loaded by MONAI
    from monai.transforms import LoadImage, Orientation, Spacing
    geo = os.path.join(ROOT, "src", "test", "resources", "geometry")
    for case in sorted(os.listdir(geo)):
        d = os.path.join(geo, case)
        with open(os.path.join(d, "case.json")) as f:
            c = json.load(f)
        dec = c["declared"]

        def to_model(path, mode):
            img = LoadImage(image_only=True, ensure_channel_first=True)(path)
            if dec["orientation"]:
                img = Orientation(axcodes=dec["orientation"])(img)
            if dec["spacing"]:
                img = Spacing(pixdim=dec["spacing"], mode=mode)(img)
            return img

        img = to_model(os.path.join(d, "image.nii.gz"), "bilinear")
        want = LoadImage(image_only=True)(os.path.join(d, "model-image.nii.gz"))
        shape_ok = list(img.shape[1:]) == list(c["model_dims"])
        aff_err = float(np.abs(np.asarray(img.affine, dtype=float) - np.asarray(c["model_affine"], dtype=float)).max())
        print("%-78s %s  shape %s, affine %.1e" % (case + ": model grid (shape, affine) as MONAI's", "ok  " if shape_ok and aff_err < 1e-6
              else "FAIL", list(img.shape[1:]), aff_err))
        if not (shape_ok and aff_err < 1e-6):
            failures.append(case + " grid")
            continue
        a, b = torch.as_tensor(img[0]).double(), torch.as_tensor(want).double()
        rng = float(b.max() - b.min())
        report(case + ": trilinear values against MONAI's Spacing", float((a - b).abs().max()) / rng, 1e-5)
        lab = to_model(os.path.join(d, "labels.nii.gz"), "nearest")
        wl = np.asarray(LoadImage(image_only=True)(os.path.join(d, "model-labels.nii.gz")))
        differ = int((np.rint(np.asarray(lab[0])) != np.rint(wl)).sum())
        print("%-78s info  %d of %d voxels differ (ties, documented)" % (case + ": nearest labels against MONAI's", differ, wl.size))

    print("all checks passed" if not failures else "%d check(s) failed: %s" % (len(failures), "; ".join(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
