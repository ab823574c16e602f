#!/usr/bin/python3
"""Import a MONAI bundle (https://docs.monai.io/en/stable/mb_specification.html) as an IES model bundle (ies-model/1).

  /usr/bin/python3 scripts/import_monai_bundle.py --bundle path/to/monai_bundle --out my-bundle \\
      [--config configs/inference.json] [--weights models/model.pt] [--layer DOTTED.NAME] [--inputs FLAIR T1] \\
      [--lesion-channel 1] [--threshold 0.5]

Read from the MONAI bundle (its config language: "@id" references with "::" or "#" separators, "%file#id" macros,
"$" expressions evaluated with the references substituted, "_target_" components, "_disabled_"):

  network_def    the network: "_target_" UNet, DynUNet or SegResNet (short name or monai.networks.nets.<Name>) and its
                 arguments. With MONAI installed, MONAI's class is used; without it, scripts/monai_layouts.py rebuilds
                 the same module tree (3D only; UNet: PReLU, no dropout in eval; DynUNet: isotropic int kernels and
                 strides, instance norm, leaky ReLU, deep supervision heads dropped; SegResNet: GroupNorm, ReLU,
                 nontrainable upsampling). Arguments it cannot honour are refused by name.
  models/model.pt  the weights: a state dict, or one under "model", "state_dict", "net" or "network"; a TorchScript
                 models/model.ts is not used (IES needs forward_features, which only the eager network gives).
  preprocessing  Orientationd(axcodes) -> "orientation"; Spacingd(pixdim) -> "spacing" (MONAI's rule, which IES
                 applies: docs/model.md); NormalizeIntensityd(nonzero=True, channel_wise=True) -> "zscore-nonzero";
                 NormalizeIntensityd(nonzero=False) -> "zscore"; ScaleIntensityRanged(a_min, a_max, b_min, b_max,
                 clip=True) -> {"scheme": "ct"} with mean a_min - b_min (a_max - a_min) / (b_max - b_min), std
                 (a_max - a_min) / (b_max - b_min), lower a_min, upper a_max (the same linear map and clip);
                 ScaleIntensityd(minv=0, maxv=1) -> "rescale-0-1". Other intensity transforms are refused.
  inferer        SlidingWindowInferer(roi_size, overlap, mode) -> "patch_size", "overlap", "blending".
  postprocessing Activationsd(softmax=True | sigmoid=True) -> "activation"; AsDiscreted(argmax=True) -> threshold 0.5,
                 AsDiscreted(threshold=t) -> threshold t (--threshold overrides).
  configs/metadata.json  network_data_format.inputs.image.channel_def -> "inputs" (--inputs overrides).

The network is exported by scripts/export_torchscript.py (traced, checked against the eager network, receptive field
and alignment probed; single-parameter PReLUs, MONAI's default activation, exported as leaky_relu, checked bit for
bit: docs/model.md#prelu-as-leaky_relu). The explained layer defaults to the decoder block at half resolution: model.1.submodule.2.conv
(UNet without residual units), model.1.submodule.2 (with them), upsamples.<n - 2> (DynUNet), up_layers.<n - 2>
(SegResNet).
"""
import argparse
import json
import math
import os
import re
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_torchscript  # noqa: E402
import monai_layouts  # noqa: E402

REF = re.compile(r"@(\w*(?:(?:::|#)\w*)*)")


class Config:
    """A minimal reader of MONAI's bundle config language (monai/bundle/config_parser.py, reference_resolver.py)."""

    def __init__(self, path, bundle_root):
        self.path = path
        self.bundle_root = bundle_root
        self.root = self._load(path)

    def _load(self, path):
        with open(path) as fh:
            if path.endswith((".yaml", ".yml")):
                import yaml
                return yaml.safe_load(fh)
            return json.load(fh)

    @staticmethod
    def split(id_):
        return [p for p in id_.replace("#", "::").split("::") if p != ""]

    def get(self, id_, root=None):
        node = self.root if root is None else root
        for part in self.split(id_):
            if isinstance(node, list):
                node = node[int(part)]
            else:
                node = node[part]
        return node

    def has(self, id_):
        try:
            self.get(id_)
            return True
        except (KeyError, IndexError, ValueError, TypeError):
            return False

    def resolve(self, value, depth=0):
        """References, macros and expressions resolved; components (dicts with _target_) kept as dicts."""
        if depth > 50:
            raise SystemExit("error: circular references in %s" % self.path)
        if isinstance(value, dict):
            return {k: self.resolve(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, depth + 1) for v in value]
        if not isinstance(value, str):
            return value
        if value.startswith("%"):                      # %file::id (or the older %file#id); %::id: this file
            file_part, _, id_part = value[1:].replace("#", "::").partition("::")
            src = self.root if not file_part else self._load(os.path.join(self.bundle_root, file_part))
            return self.resolve(self.get(id_part, src), depth + 1)
        if value.startswith("@") and REF.fullmatch(value):
            return self.resolve(self.get(value[1:]), depth + 1)
        if value.startswith("$"):
            refs = {}

            def sub(m):
                key = "_ref%d" % len(refs)
                if m.group(1) == "bundle_root" and not self.has("bundle_root"):
                    refs[key] = self.bundle_root
                else:
                    refs[key] = self.resolve(self.get(m.group(1)), depth + 1)
                return key
            try:
                expr = REF.sub(sub, value[1:])
                return eval(expr, {"np": np, "numpy": np, "torch": torch, "math": math, "os": os}, refs)  # noqa: S307
            except Exception as e:           # expressions that need MONAI, the data or a device: not used here
                return Unresolved(value, e)
        return value


class Unresolved:
    def __init__(self, text, error):
        self.text, self.error = text, error

    def __repr__(self):
        return "<unresolved %s: %s>" % (self.text, self.error)


def short(target):
    return target.rpartition(".")[2] if isinstance(target, str) else None


def norm_name(norm):
    """MONAI's norm argument ("batch", ("instance", {...}), ...) -> monai_layouts' name."""
    args = {}
    if isinstance(norm, (list, tuple)):
        norm, args = norm[0], (norm[1] if len(norm) > 1 else {})
    n = str(norm).lower()
    if n == "batch":
        return "batch"
    if n == "instance":
        return "instance_affine" if args.get("affine") else "instance"
    raise SystemExit("error: norm %r is not supported without MONAI (batch or instance)" % (norm,))


def build_network(spec):
    """The network from a resolved network_def component; (net, name of the class used, kwargs)."""
    spec = {k: v for k, v in spec.items() if not k.startswith("_") or k == "_target_"}
    name = short(spec.pop("_target_"))
    try:
        import monai.networks.nets as mnets      # noqa: F401
        return getattr(mnets, name)(**spec), "monai.networks.nets." + name, spec
    except ImportError:
        pass
    kw = dict(spec)
    if kw.pop("spatial_dims", 3) != 3:
        raise SystemExit("error: only 3D networks are supported")

    def refuse(allowed):
        extra = [k for k in kw if k not in allowed]
        if extra:
            raise SystemExit("error: %s arguments %s are not supported without MONAI installed (scripts/monai_layouts.py "
                             "covers %s)" % (name, extra, sorted(allowed)))

    if name == "UNet":
        act = kw.pop("act", "PRELU")
        if str(act[0] if isinstance(act, (list, tuple)) else act).lower() != "prelu":
            raise SystemExit("error: UNet act %r: only PReLU (MONAI's default) without MONAI" % (act,))
        kw.pop("dropout", None)
        if kw.pop("adn_ordering", "NDA") != "NDA" or not kw.pop("bias", True):
            raise SystemExit("error: UNet adn_ordering NDA and bias True only without MONAI")
        kw["norm"] = norm_name(kw.get("norm", "instance"))
        refuse({"in_channels", "out_channels", "channels", "strides", "kernel_size", "up_kernel_size",
                "num_res_units", "norm"})
        return monai_layouts.UNet(**kw), "scripts/monai_layouts.py UNet", spec
    if name == "DynUNet":
        kw.pop("dropout", None)
        kw.pop("deep_supervision", None)
        kw.pop("deep_supr_num", None)
        if kw.pop("trans_bias", False):
            raise SystemExit("error: DynUNet trans_bias True is not supported without MONAI")
        kw["norm"] = norm_name(kw.pop("norm_name", ("INSTANCE", {"affine": True})))
        act = kw.pop("act_name", ("leakyrelu", {"negative_slope": 0.01}))
        a, aa = (act[0], act[1] if len(act) > 1 else {}) if isinstance(act, (list, tuple)) else (act, {})
        if str(a).lower() != "leakyrelu" or aa.get("negative_slope", 0.01) != 0.01:
            raise SystemExit("error: DynUNet act_name %r: only leaky ReLU 0.01 without MONAI" % (act,))
        for k in ("kernel_size", "strides", "upsample_kernel_size"):
            kw[k] = [v if isinstance(v, int) else (v[0] if len(set(v)) == 1 else None) for v in kw[k]]
            if None in kw[k]:
                raise SystemExit("error: DynUNet anisotropic %s needs MONAI installed" % k)
        refuse({"in_channels", "out_channels", "kernel_size", "strides", "upsample_kernel_size", "filters",
                "res_block", "norm"})
        return monai_layouts.DynUNet(**kw), "scripts/monai_layouts.py DynUNet", spec
    if name == "SegResNet":
        kw.pop("dropout_prob", None)
        norm = kw.pop("norm", ("GROUP", {"num_groups": kw.get("num_groups", 8)}))
        if isinstance(norm, (list, tuple)) and str(norm[0]).lower() == "group":
            kw["num_groups"] = norm[1].get("num_groups", kw.get("num_groups", 8))
        elif str(norm).lower() != "group":
            raise SystemExit("error: SegResNet norm %r: only group norm without MONAI" % (norm,))
        if kw.pop("use_conv_final", True) is not True or str(kw.pop("upsample_mode", "nontrainable")).lower() != "nontrainable":
            raise SystemExit("error: SegResNet use_conv_final True and upsample_mode nontrainable only without MONAI")
        act = kw.pop("act", "RELU")
        if str(act[0] if isinstance(act, (list, tuple)) else act).lower() != "relu":
            raise SystemExit("error: SegResNet act %r: only ReLU without MONAI" % (act,))
        if kw.pop("norm_name", "") not in ("", None):
            raise SystemExit("error: SegResNet norm_name is not supported without MONAI (use norm)")
        refuse({"in_channels", "out_channels", "init_filters", "blocks_down", "blocks_up", "num_groups"})
        return monai_layouts.SegResNet(**kw), "scripts/monai_layouts.py SegResNet", spec
    raise SystemExit("error: network %r: UNet, DynUNet and SegResNet are supported without MONAI; install MONAI for "
                     "other networks" % name)


def default_layer(name, spec, net):
    if name == "UNet":
        return "model.1.submodule.2" + ("" if spec.get("num_res_units", 0) > 0 else ".conv")
    if name == "DynUNet":
        return "upsamples.%d" % (len(net.upsamples) - 2)
    if name == "SegResNet":
        return "up_layers.%d" % (len(net.up_layers) - 2)
    raise SystemExit("error: give --layer for a %s" % name)


def transforms(cfg, section):
    if not cfg.has(section):
        return []
    t = cfg.resolve(cfg.get(section))
    if isinstance(t, dict) and "transforms" in t:
        t = t["transforms"]
    return [x for x in (t if isinstance(t, list) else []) if isinstance(x, dict) and not x.get("_disabled_")]


def normalization(t):
    n = short(t.get("_target_"))
    if n in ("NormalizeIntensityd", "NormalizeIntensity"):
        if t.get("subtrahend") is not None or t.get("divisor") is not None:
            raise SystemExit("error: NormalizeIntensityd with subtrahend/divisor is not supported")
        if not t.get("channel_wise", False):
            raise SystemExit("error: NormalizeIntensityd(channel_wise=False) (statistics over all channels together) is "
                             "not supported; IES normalises each channel")
        return "zscore-nonzero" if t.get("nonzero", False) else "zscore"
    if n in ("ScaleIntensityRanged", "ScaleIntensityRange"):
        a0, a1, b0, b1 = (float(t[k]) for k in ("a_min", "a_max", "b_min", "b_max"))
        if not t.get("clip", False):
            raise SystemExit("error: ScaleIntensityRanged(clip=False) is not supported (IES's linear scheme clips)")
        scale = (a1 - a0) / (b1 - b0)
        return {"scheme": "ct", "mean": a0 - b0 * scale, "std": scale, "lower": a0, "upper": a1}
    if n in ("ScaleIntensityd", "ScaleIntensity"):
        if float(t.get("minv", 0.0)) != 0.0 or float(t.get("maxv", 1.0)) != 1.0 or t.get("factor") is not None:
            raise SystemExit("error: ScaleIntensityd other than minv=0, maxv=1 is not supported")
        return "rescale-0-1"
    return None


INTENSITY = ("Intensity", "HistogramNormalize", "ClipIntensity", "ThresholdIntensity")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bundle", required=True, help="MONAI bundle folder (configs/, models/)")
    p.add_argument("--config", default=None, help="config file (default configs/inference.json or .yaml)")
    p.add_argument("--weights", default=None, help="weights (default models/model.pt)")
    p.add_argument("--out", required=True)
    p.add_argument("--name")
    p.add_argument("--layer", help="explained layer (default: the decoder block at half resolution)")
    p.add_argument("--inputs", nargs="+", help="input channel names (default: metadata.json's channel_def)")
    p.add_argument("--lesion-channel", type=int, default=None, help="default 1 (softmax) or 0 (sigmoid, 1 output)")
    p.add_argument("--threshold", type=float)
    p.add_argument("--min-lesion-voxels", type=int, default=6)
    p.add_argument("--connectivity", type=int, default=18, choices=[6, 18, 26])
    a = p.parse_args(argv)

    root = os.path.abspath(a.bundle)
    cfg_path = a.config or next((os.path.join(root, "configs", f) for f in ("inference.json", "inference.yaml")
                                 if os.path.exists(os.path.join(root, "configs", f))), None)
    if cfg_path is None:
        raise SystemExit("error: %s has no configs/inference.json or .yaml (give --config)" % root)
    cfg = Config(cfg_path if os.path.isabs(cfg_path) else os.path.join(os.getcwd(), cfg_path), root)
    net_key = "network_def" if cfg.has("network_def") else "network"
    spec = cfg.resolve(cfg.get(net_key))
    if not isinstance(spec, dict) or "_target_" not in spec:
        raise SystemExit("error: %s: %s is not a network component (a dict with _target_)" % (cfg_path, net_key))
    net, source, args = build_network(spec)
    name = short(spec["_target_"])

    weights = a.weights or os.path.join(root, "models", "model.pt")
    sd = torch.load(weights, map_location="cpu")
    if isinstance(sd, dict):
        for k in ("model", "state_dict", "net", "network"):
            if k in sd and isinstance(sd[k], dict):
                sd = sd[k]
                break
    if not isinstance(sd, dict):
        raise SystemExit("error: %s does not hold a state dict" % weights)
    sd = {k: v for k, v in sd.items() if not k.startswith("deep_supervision_heads.")
          and ".super_head." not in k and not k.startswith("skip_layers.super_head")}
    net.load_state_dict(sd)
    net.eval()

    # preprocessing: geometry and normalisation
    orientation, spacing, norm = None, None, None
    for t in transforms(cfg, "preprocessing"):
        n = short(t.get("_target_"))
        if n in ("Orientationd", "Orientation"):
            if t.get("as_closest_canonical"):
                orientation = "RAS"
            else:
                orientation = t["axcodes"]
        elif n in ("Spacingd", "Spacing"):
            pix = t["pixdim"]
            pix = [float(pix)] * 3 if not isinstance(pix, (list, tuple)) else [float(v) for v in pix]
            pix = pix + [pix[-1]] * (3 - len(pix))
            if any(v <= 0 for v in pix):
                raise SystemExit("error: Spacingd pixdim %s: non-positive entries (keep the input's) are not supported" % pix)
            if t.get("diagonal") or t.get("scale_extent") or t.get("align_corners"):
                raise SystemExit("error: Spacingd with diagonal, scale_extent or align_corners is not supported")
            spacing = pix[:3]
        else:
            s = normalization(t)
            if s is not None:
                if norm is not None:
                    raise SystemExit("error: two intensity normalisations in the preprocessing")
                norm = s
            elif n and any(k in n for k in INTENSITY):
                raise SystemExit("error: preprocessing transform %s is not supported (IES supports %s)" % (n, "Orientationd, "
                                 "Spacingd, NormalizeIntensityd, ScaleIntensityRanged(clip), ScaleIntensityd"))
    if norm is None:
        print("warning: no intensity normalisation in the preprocessing: \"none\"")
        norm = "none"

    inf = cfg.resolve(cfg.get("inferer")) if cfg.has("inferer") else {}
    roi = inf.get("roi_size")
    if roi is None:
        raise SystemExit("error: no inferer roi_size in %s" % cfg_path)
    roi = [int(roi)] * 3 if isinstance(roi, int) else [int(v) for v in roi]
    overlap = float(inf.get("overlap", 0.25))
    blending = str(inf.get("mode", "constant")).lower()
    if blending not in ("constant", "gaussian"):
        raise SystemExit("error: inferer mode %r not supported (constant, gaussian)" % blending)

    activation, threshold = None, None
    for t in transforms(cfg, "postprocessing"):
        n = short(t.get("_target_"))
        if n in ("Activationsd", "Activations"):
            activation = "softmax" if t.get("softmax") else "sigmoid" if t.get("sigmoid") else activation
        if n in ("AsDiscreted", "AsDiscrete"):
            if t.get("argmax"):
                threshold = 0.5
            elif t.get("threshold") is not None:
                threshold = float(t["threshold"])
    out_channels = int(args.get("out_channels", 2))
    activation = activation or ("softmax" if out_channels > 1 else "sigmoid")
    lesion = a.lesion_channel if a.lesion_channel is not None else (1 if activation == "softmax" else 0)
    threshold = a.threshold if a.threshold is not None else (threshold if threshold is not None else 0.5)

    inputs = a.inputs
    if inputs is None:
        meta_path = os.path.join(root, "configs", "metadata.json")
        try:
            with open(meta_path) as fh:
                md = json.load(fh)
            cd = md["network_data_format"]["inputs"]["image"]["channel_def"]
            inputs = [cd[k] for k in sorted(cd, key=int)]
        except (OSError, KeyError, ValueError):
            raise SystemExit("error: no channel_def in configs/metadata.json: give --inputs")
    in_channels = int(args.get("in_channels", len(inputs)))
    if len(inputs) != in_channels:
        raise SystemExit("error: %d input names %s for a network with %d input channels" % (len(inputs), inputs, in_channels))

    layer = a.layer or default_layer(name, args, net)
    meta = {
        "format": "ies-model/1",
        "name": a.name or os.path.basename(root.rstrip("/")),
        "description": "MONAI bundle %s imported by scripts/import_monai_bundle.py (%s)" % (os.path.basename(root), source),
        "inputs": inputs,
        "normalization": norm,
        "patch_size": roi,
        "overlap": overlap,
        "blending": blending,
        "activation": activation,
        "lesion_channel": lesion,
        "threshold": threshold,
        "min_lesion_voxels": a.min_lesion_voxels,
        "connectivity": a.connectivity,
        "features": True,
    }
    meta.update(export_torchscript.geometry_keys(orientation, spacing))
    meta["monai_bundle"] = {"config": os.path.relpath(cfg_path, root), "network": source, "network_args": args}
    print("network %s, inputs %s, normalization %s, orientation %s, spacing %s, patch %s, overlap %s, %s blending, %s, "
          "lesion channel %d, threshold %s, layer %s" % (source, inputs, norm, orientation, spacing, roi, overlap, blending,
                                                       activation, lesion, threshold, layer))
    export_torchscript.export(net, layer, a.out, meta, roi, in_channels)


if __name__ == "__main__":
    main()
