#!/usr/bin/python3
"""Import a trained nnU-Net v2 model folder as an IES model bundle (format ies-model/1).

  /usr/bin/python3 scripts/import_nnunet.py --model-folder \\
      nnUNet_results/Dataset501_MSLesions/nnUNetTrainer__nnUNetPlans__3d_fullres --fold 0 --out my-bundle

The model folder is what nnU-Net's training writes (nnUNet_results/<dataset>/<trainer>__<plans>__<configuration>):
plans.json, dataset.json and fold_<f>/checkpoint_final.pth (or --checkpoint). From them:

  network      plans["configurations"][c]["architecture"]: network_class_name and arch_kwargs (the classes named in
               _kw_requires_import, e.g. torch.nn.modules.conv.Conv3d, are imported), input channels from
               dataset.json's channel_names, one output per label (softmax) or per region (sigmoid), deep supervision
               off; the checkpoint's "network_weights" are loaded strictly. The class comes from
               dynamic_network_architectures when installed; without it PlainConvUNet (nnU-Net's default) is rebuilt
               from scripts/nnunet_layouts.py with the same module names. Other classes need the package.
  axis order   nnU-Net's readers (SimpleITKIO, NibabelIO, NibabelIOWithReorient) give arrays in (k, j, i) order, then
               plans["transpose_forward"] permutes them; IES feeds (i, j, k). The network is wrapped so that the
               bundle takes and returns (i, j, k): network axis a is NIfTI axis 2 - transpose_forward[a]. The explained
               layer's output is permuted back to (i, j, k) too, where forward_features adds delta and returns it.
  patch size   the configuration's patch_size, in (i, j, k) order.
  spacing      the configuration's spacing, in (i, j, k) order ("spacing"); "orientation": "RAS" only for
               NibabelIOWithReorient (the other readers keep the stored orientation, so none is declared).
  normalization  per channel from normalization_schemes and use_mask_for_norm: ZScoreNormalization -> "zscore" or
               "zscore-mask", CTNormalization -> {"scheme": "ct", ...} with the dataset's foreground mean, std and
               0.5 / 99.5 percentiles (plans' foreground_intensity_properties_per_channel), NoNormalization -> "none",
               RescaleTo01Normalization -> "rescale-0-1". Others are refused.
  inference    overlap 0.5 (nnU-Net's tile_step_size), Gaussian blending, lesion channel = --lesion-label (the only
               foreground label by default), threshold 0.5 (for two classes, softmax argmax = probability > 0.5).

What IES does differently from nnU-Net's own predictor (see docs/model.md "Importing an nnU-Net v2 model"): no mirroring
test-time augmentation; MONAI's sliding-window rule; resampling as MONAI's Spacingd (trilinear) instead of nnU-Net's
third-order spline with its own shape rule; the whole volume instead of the crop to the nonzero region; normalisation
on the grid the bundle's geometry handling gives (nnU-Net normalises before resampling).
"""
import argparse
import copy
import importlib
import json
import os
import pydoc
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_torchscript  # noqa: E402
import nnunet_layouts  # noqa: E402

SCHEMES = {"ZScoreNormalization": "zscore", "CTNormalization": "ct", "NoNormalization": "none",
           "RescaleTo01Normalization": "rescale-0-1"}


class Permute(nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.dims = list(dims)

    def forward(self, x):
        return x.permute(self.dims)


class AxisOrdered(nn.Module):
    """net(x) on (i, j, k) tensors: x is permuted to the network's axis order and the output back."""

    def __init__(self, net, perm):
        super().__init__()
        self.to_net = Permute([0, 1] + [2 + p for p in perm])
        self.net = net
        inv = [perm.index(d) for d in range(3)]
        self.to_nifti = Permute([0, 1] + [2 + a for a in inv])

    def forward(self, x):
        return self.to_nifti(self.net(self.to_net(x)))


class LayerInNiftiOrder(nn.Module):
    """An explained layer whose output is seen in (i, j, k) order (submodule "nifti": where delta is added) and handed
    on in the network's order."""

    def __init__(self, layer, perm):
        super().__init__()
        inv = [perm.index(d) for d in range(3)]
        self.nifti = nn.Sequential(layer, Permute([0, 1] + [2 + a for a in inv]))
        self.back = Permute([0, 1] + [2 + p for p in perm])

    def forward(self, x):
        return self.back(self.nifti(x))


def configuration(plans, name):
    confs = plans["configurations"]
    if name not in confs:
        raise SystemExit("error: configuration %r not in plans.json (has %s)" % (name, ", ".join(confs)))
    c = copy.deepcopy(confs[name])
    while "inherits_from" in c:
        parent = copy.deepcopy(confs[c.pop("inherits_from")])
        parent.update(c)
        c = parent
    return c


def build_network(arch, in_channels, out_channels):
    cls_name = arch["network_class_name"]
    kwargs = copy.deepcopy(arch["arch_kwargs"])
    for k in arch.get("_kw_requires_import", []):
        if kwargs.get(k) is not None:
            kwargs[k] = pydoc.locate(kwargs[k])
            if kwargs[k] is None:
                raise SystemExit("error: cannot import %r (arch_kwargs %s)" % (arch["arch_kwargs"][k], k))
    mod, _, cls = cls_name.rpartition(".")
    try:
        net_cls = getattr(importlib.import_module(mod), cls)
        source = cls_name
    except ImportError:
        if cls != "PlainConvUNet":
            raise SystemExit("error: %s is not installed here; install dynamic_network_architectures (pip install "
                             "dynamic-network-architectures) to import this model" % cls_name)
        net_cls = nnunet_layouts.PlainConvUNet
        source = "scripts/nnunet_layouts.py PlainConvUNet (dynamic_network_architectures not installed)"
    net = net_cls(input_channels=in_channels, num_classes=out_channels, deep_supervision=False, **kwargs)
    return net, source


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model-folder", required=True, help="nnUNet_results/<dataset>/<trainer>__<plans>__<configuration>")
    p.add_argument("--fold", default="0", help="fold folder to take the checkpoint from (default 0; 'all' for fold_all)")
    p.add_argument("--checkpoint", help="checkpoint file (default <model-folder>/fold_<fold>/checkpoint_final.pth)")
    p.add_argument("--configuration", help="plans configuration (default: the checkpoint's, else the folder name's)")
    p.add_argument("--out", required=True)
    p.add_argument("--name", help="bundle name (default: dataset name and configuration)")
    p.add_argument("--layer", help="explained layer (dotted name in the nnU-Net network; default: the decoder stage at "
                   "half resolution, decoder.stages.<n - 3>)")
    p.add_argument("--lesion-label", type=int, help="label value (softmax) or region index (sigmoid) of the lesion "
                   "class (default: the only foreground label)")
    p.add_argument("--threshold", type=float, default=0.5)
    p.add_argument("--overlap", type=float, default=0.5)
    p.add_argument("--min-lesion-voxels", type=int, default=6)
    p.add_argument("--connectivity", type=int, default=18, choices=[6, 18, 26])
    a = p.parse_args(argv)

    folder = a.model_folder
    with open(os.path.join(folder, "plans.json")) as fh:
        plans = json.load(fh)
    with open(os.path.join(folder, "dataset.json")) as fh:
        dataset = json.load(fh)
    ckpt_path = a.checkpoint or os.path.join(folder, "fold_%s" % a.fold, "checkpoint_final.pth")
    ckpt = torch.load(ckpt_path, map_location="cpu")
    conf_name = a.configuration or (ckpt.get("init_args") or {}).get("configuration") \
        or os.path.basename(os.path.normpath(folder)).split("__")[-1]
    conf = configuration(plans, conf_name)

    channels = dataset.get("channel_names", dataset.get("modality"))
    inputs = [channels[k] for k in sorted(channels, key=int)]
    labels = {k: v for k, v in dataset["labels"].items() if k != "ignore"}
    regions = "regions_class_order" in dataset
    if regions:
        out_channels = len(dataset["regions_class_order"])
        activation = "sigmoid"
        foreground = list(range(out_channels))
    else:
        values = sorted(int(v) for v in labels.values())
        out_channels = len(values)
        activation = "softmax"
        foreground = [v for v in values if v != 0]
    lesion = a.lesion_label
    if lesion is None:
        if len(foreground) != 1:
            raise SystemExit("error: the dataset has %d foreground classes %s; give --lesion-label" % (len(foreground), labels))
        lesion = foreground[0]

    net, source = build_network(conf["architecture"], len(inputs), out_channels)
    weights = {k[len("_orig_mod."):] if k.startswith("_orig_mod.") else k: v for k, v in ckpt["network_weights"].items()}
    net.load_state_dict(weights)
    net.eval()

    # axis order: nnU-Net's arrays are (k, j, i), then transpose_forward
    tf = list(plans.get("transpose_forward", [0, 1, 2]))
    perm = [2 - t for t in tf]                       # network axis a <- NIfTI axis perm[a]
    reader = plans.get("image_reader_writer", "SimpleITKIO")
    if reader not in ("SimpleITKIO", "NibabelIO", "NibabelIOWithReorient"):
        raise SystemExit("error: image_reader_writer %r: only SimpleITKIO, NibabelIO and NibabelIOWithReorient (3D "
                         "NIfTI) are supported" % reader)

    def to_nifti(v):
        out = [None] * 3
        for ax, val in enumerate(v):
            out[perm[ax]] = val
        return out

    patch = to_nifti(conf["patch_size"])
    spacing = [float(s) for s in to_nifti(conf["spacing"])]

    norms = []
    props = plans.get("foreground_intensity_properties_per_channel", {})
    for c, scheme in enumerate(conf["normalization_schemes"]):
        if scheme not in SCHEMES:
            raise SystemExit("error: normalization %s of channel %d (%s) is not supported (supported: %s)"
                             % (scheme, c, inputs[c], ", ".join(SCHEMES)))
        key = SCHEMES[scheme]
        if key == "zscore" and conf["use_mask_for_norm"][c]:
            key = "zscore-mask"
        if key == "ct":
            pr = props[str(c)]
            norms.append({"scheme": "ct", "mean": pr["mean"], "std": pr["std"], "lower": pr["percentile_00_5"],
                          "upper": pr["percentile_99_5"]})
        else:
            norms.append(key)

    n_stages = len(net.decoder.stages) + 1
    layer = a.layer or "decoder.stages.%d" % max(n_stages - 3, 0)
    modules = dict(net.named_modules())
    if layer not in modules:
        raise SystemExit("error: layer %r not in the network" % layer)
    wrapped_layer = LayerInNiftiOrder(modules[layer], perm)
    holders = [(m, n) for m in net.modules() for n, c in m._modules.items() if c is modules[layer]]
    for m, n in holders:
        setattr(m, n, wrapped_layer)
    wrapped = AxisOrdered(net, perm).eval()
    ies_layer = "net." + layer + ".nifti"

    dataset_name = plans.get("dataset_name", os.path.basename(os.path.dirname(os.path.normpath(folder))))
    meta = {
        "format": "ies-model/1",
        "name": a.name or "%s-%s" % (dataset_name, conf_name),
        "description": "nnU-Net v2 model %s (%s, fold %s) imported by scripts/import_nnunet.py" % (
            os.path.basename(os.path.normpath(folder)), dataset_name, a.fold),
        "inputs": inputs,
        "normalization": norms if len(set(map(json.dumps, norms))) > 1 else norms[0],
        "patch_size": patch,
        "overlap": a.overlap,
        "blending": "gaussian",
        "activation": activation,
        "lesion_channel": int(lesion),
        "threshold": a.threshold,
        "min_lesion_voxels": a.min_lesion_voxels,
        "connectivity": a.connectivity,
        "features": True,
    }
    # the total stride per axis from the architecture (the exporter cannot read it from the shapes of a network that
    # permutes its axes); the alignment is the largest
    strides = conf["architecture"]["arch_kwargs"].get("strides")
    if strides is not None:
        total = [1, 1, 1]
        for st in strides:
            st = [st] * 3 if isinstance(st, int) else st
            total = [t * v for t, v in zip(total, st)]
        meta["alignment"] = int(max(total))
    meta.update(export_torchscript.geometry_keys("RAS" if reader == "NibabelIOWithReorient" else None, spacing))
    meta["nnunet"] = {"model_folder": os.path.basename(os.path.normpath(folder)), "configuration": conf_name,
                      "fold": a.fold, "network": source, "nnunet_layer": layer, "image_reader_writer": reader,
                      "transpose_forward": tf, "network_axes_from_nifti_axes": perm,
                      "note": "nnU-Net normalises on the native grid before resampling and predicts with mirroring; "
                              "see docs/model.md"}
    print("network %s, %d inputs %s, %d outputs (%s, lesion channel %d), patch (i, j, k) %s, spacing %s mm, "
          "normalization %s, layer %s" % (source, len(inputs), inputs, out_channels, activation, lesion, patch, spacing,
                                         norms, layer))
    # (nnU-Net's PReLU nonlinearity, when a plan uses it, is exported as leaky_relu there: docs/model.md#prelu-as-leaky_relu)
    export_torchscript.export(wrapped, ies_layer, a.out, meta, patch, len(inputs))


if __name__ == "__main__":
    main()
