#!/usr/bin/python3
"""Export a PyTorch segmentation network to an IES model bundle (format ies-model/1).

The bundle is a folder holding
  model.pt         TorchScript module with two methods:
                     forward(x)                   x [B, C, i, j, k] float32 -> logits [B, K, i, j, k]
                     forward_features(x, delta)   -> (logits, features), features = output of the explained
                                                  layer + delta (delta broadcastable to it, normally zeros);
                                                  the network downstream of the layer sees features, so
                                                  d(logits)/d(delta) is the gradient with respect to the layer.
  ies-model.json   metadata (see docs/model.md).

Forward hooks are not scriptable, so the explained layer is replaced in the module tree by a thin wrapper that
adds `delta` to the layer's output, and the wrapper network is *traced* (torch.jit.trace_module) for both
methods into one TorchScript file. The network is put in eval mode first (BatchNorm running statistics, no
dropout), and the exported module is checked against the eager one on random inputs. Then two properties the
saliency engine needs are probed on the exported module and written to ies-model.json (unless already given, e.g.
by --extra): "receptive_field" (probe_receptive_field) and "alignment" (probe_alignment, or the network's stride
from its shapes, network_stride, when the receptive field is unbounded); the engine probes them the same way at run
time when they are absent (saliency.NetworkProbe).

Checkpoints accepted (--checkpoint):
  * a pickled nn.Module (torch.save(model, path));
  * an IES checkpoint: dict with "arch": "ies_unet", "config" and "state_dict" (scripts/train_demo_model.py);
  * a state dict (or a dict holding it under "state_dict", "model", "net" or "network") together with
    --builder package.module:Callable and --builder-args '{json kwargs}'.

Example, MONAI UNet as in the paper (decoder block at half resolution):
  /usr/bin/python3 scripts/export_torchscript.py --checkpoint best_metric_model.pth \\
      --builder monai.networks.nets:UNet \\
      --builder-args '{"spatial_dims":3,"in_channels":2,"out_channels":2,"channels":[32,64,128,256,512],
                       "strides":[2,2,2,2],"num_res_units":0,"norm":"batch"}' \\
      --layer model.1.submodule.2.conv --name paper-unet --inputs FLAIR MPRAGE \\
      --patch-size 96 96 96 --threshold 0.3 --out my-bundle
"""
import argparse
import hashlib
import importlib
import io
import json
import os
import shutil
import sys
import tempfile

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


class _Holder:
    """Shared Python state read while tracing: the delta to add and the features seen."""

    def __init__(self):
        self.delta = None
        self.features = None


class _DeltaLayer(nn.Module):
    def __init__(self, layer, holder):
        super().__init__()
        self.layer = layer
        self._holder = holder

    def forward(self, *args):
        y = self.layer(*args)
        if self._holder.delta is not None:
            y = y + self._holder.delta
            self._holder.features = y
        return y


class FeatureWrapper(nn.Module):
    def __init__(self, net, layer_name):
        super().__init__()
        modules = dict(net.named_modules())
        if layer_name not in modules:
            names = [n for n in modules if n]
            raise SystemExit("error: layer '%s' not found in the network; layers are:\n  %s"
                             % (layer_name, "\n  ".join(names)))
        self._holder = _Holder()
        target = modules[layer_name]
        wrapped = _DeltaLayer(target, self._holder)
        # replace the layer wherever the network holds it: MONAI's DynUNet registers each block twice (in
        # `upsamples`/`downsamples` and inside the `skip_layers` chain that forward() runs), and named_modules() names
        # only the first place
        holders = [(parent, child) for parent in net.modules() for child, m in parent._modules.items() if m is target]
        for parent, child in holders:
            setattr(parent, child, wrapped)
        self.net = net

    def forward(self, x):
        self._holder.delta = None
        return self.net(x)

    def forward_features(self, x, delta):
        self._holder.delta = delta
        self._holder.features = None
        try:
            logits = self.net(x)
            feats = self._holder.features
        finally:
            self._holder.delta = None
        if feats is None:
            raise RuntimeError("the explained layer was not called by forward()")
        return logits, feats


def unwrap_state_dict(sd, layer):
    """The network's state dict from that of an exported module (FeatureWrapper: "net." before every key, the explained
    layer's own keys under "<layer>.layer.")."""
    out = {}
    for k, v in sd.items():
        k = k[4:] if k.startswith("net.") else k
        if k.startswith(layer + ".layer."):
            k = layer + k[len(layer) + 6:]
        out[k] = v
    return out


def load_network(args):
    obj = torch.load(args.checkpoint, map_location="cpu")
    if isinstance(obj, torch.jit.ScriptModule):
        # a bundle's model.pt (re-export with this exporter): its parameters and buffers, under the builder's network
        if not args.builder:
            raise SystemExit("error: %s is TorchScript; to re-export a bundle's model.pt give the network's --builder "
                             "package.module:Callable (and --builder-args)" % args.checkpoint)
        obj = unwrap_state_dict(obj.state_dict(), args.layer)
    elif isinstance(obj, nn.Module):
        return obj
    if not isinstance(obj, dict):
        raise SystemExit("error: checkpoint %s holds a %s, not a module or a state dict" % (args.checkpoint, type(obj)))
    if obj.get("arch") == "ies_unet" and not args.builder:
        import ies_unet
        net = ies_unet.build(obj["config"])
        net.load_state_dict(obj["state_dict"])
        return net
    if not args.builder:
        raise SystemExit("error: %s is a state dict; give --builder package.module:Callable (and --builder-args)"
                         % args.checkpoint)
    mod_name, _, fn_name = args.builder.partition(":")
    fn = getattr(importlib.import_module(mod_name), fn_name)
    net = fn(**json.loads(args.builder_args))
    sd = obj
    for key in ("state_dict", "model", "net", "network"):
        if key in obj and isinstance(obj[key], dict):
            sd = obj[key]
            break
    net.load_state_dict(sd)
    return net


def patch_alignment(patch_size):
    """The largest power of two (at most 32) dividing every patch dimension: an upper bound u of the alignment."""
    u = 32
    for p in patch_size:
        while u > 1 and p % u:
            u //= 2
    return u


MAX_PROBE_VOXELS = 1 << 21
MAX_PROBE_LENGTH = 512


def _probe_size(u, axis, length):
    s = [2 * u, 2 * u, 2 * u]
    s[axis] = length
    return s


def _support(module, in_channels, lesion_channel, u, axis, s, seeds):
    """{below, above} along `axis` on an input of size s (None when the support reaches an end), as
    NetworkProbe.Prober.support: the input-gradient support of a randomly weighted sum of the lesion logits of the
    central u-cell, united over the seeds."""
    c = [(n // 2 - u // 2) // u * u for n in s]
    cell = (0, lesion_channel) + tuple(slice(o, o + u) for o in c)
    support = torch.zeros(s[axis], dtype=torch.bool)
    for seed in seeds:
        g = torch.Generator().manual_seed(seed)
        x = torch.randn([1, in_channels] + s, generator=g).requires_grad_(True)
        with torch.enable_grad():
            y = module.forward(x)
            cot = torch.zeros_like(y)
            cot[cell] = 0.5 + torch.rand((u,) * 3, generator=g)
            grad, = torch.autograd.grad(y, x, cot)
        nz = (grad[0] != 0).any(dim=0)
        other = tuple(d for d in range(3) if d != axis)
        support |= nz.any(dim=other[1]).any(dim=other[0])
    idx = support.nonzero()
    if len(idx) == 0:
        return None
    lo, hi = idx.min().item(), idx.max().item()
    if lo == 0 or hi == s[axis] - 1:
        return None
    return c[axis] - lo, hi - (c[axis] + u - 1)


def probe_receptive_field(module, patch_size, in_channels, lesion_channel, u=None, seeds=(20261127, 7)):
    """The receptive-field bound {"below": [3], "above": [3]}, as NetworkProbe (Java): for every output voxel of an
    alignment cell [c, c + a) per axis, the input gradient is zero outside [c - below, c + a - 1 + above]. One axis at
    a time, on inputs 2u wide across the axis and growing along it (doubling, up to MAX_PROBE_LENGTH voxels) until the
    support of the input gradient of a randomly weighted sum of the lesion logits of a central u-cell stays off the
    ends. None (JSON null: unbounded) when it reaches them on the largest input: an operation over the whole input
    (instance or group normalisation, attention) or a receptive field wider than that."""
    u = u or patch_alignment(patch_size)
    below, above = [], []
    for d in range(3):
        length = max(4 * u, (patch_size[d] + u - 1) // u * u + 2 * u)
        bound = None
        while True:
            s = _probe_size(u, d, length)
            bound = _support(module, in_channels, lesion_channel, u, d, s, seeds)
            if bound is not None:
                break
            nxt = 2 * length
            if nxt > max(MAX_PROBE_LENGTH, length) or nxt * (2 * u) ** 2 > MAX_PROBE_VOXELS:
                break
            length = nxt
        if bound is None:
            return None
        below.append(bound[0])
        above.append(bound[1])
    return {"below": below, "above": above}


def probe_alignment(module, patch_size, in_channels, receptive_field, u=None, seed=12345):
    """The network's alignment (total stride), as NetworkProbe (Java): per axis, the smallest power of two a < u
    such that, on a random input X of P' + u voxels along the axis (2u across), the logits of the crop X[a : a + P']
    equal those of X (relative 1e-4) at the crop's four central positions along the axis, with P' large enough that
    their receptive field lies inside the crop; u when none does, or when the receptive field is unbounded (then
    equivariance cannot be probed: see network_stride). The largest over the axes."""
    u = u or patch_alignment(patch_size)
    if receptive_field is None or u == 1:
        return u
    g = torch.Generator().manual_seed(seed)
    best = 1
    for d in range(3):
        r = max(receptive_field["below"][d], receptive_field["above"][d])
        p = -(-max(patch_size[d], 2 * (r + u + 1)) // u) * u
        big = _probe_size(u, d, p + u)
        x = torch.randn([1, in_channels] + big, generator=g)
        found = u
        with torch.no_grad():
            y = module.forward(x)
            a = 1
            while a < u:
                sl = [slice(None)] * 5
                sl[2 + d] = slice(a, a + p)
                yc = module.forward(x[tuple(sl)])
                mid = [slice(None)] * 5
                mid[2 + d] = slice(p // 2 - 2, p // 2 + 2)
                ref_sl = list(mid)
                ref_sl[2 + d] = slice(p // 2 - 2 + a, p // 2 + 2 + a)
                ref = y[tuple(ref_sl)]
                if (yc[tuple(mid)] - ref).abs().max() <= 1e-4 * max(ref.abs().max().item(), 1e-6):
                    found = a
                    break
                a *= 2
        best = max(best, found)
    return best


def network_stride(net, patch_size, in_channels):
    """The total stride from the network's own shapes: the largest power-of-two ratio, over the axes and every
    module's 5D output, of the patch size to the output's size, on a zero input of the patch size (forward hooks on the
    eager network). Used when the receptive field is unbounded and equivariance cannot be probed. (A network that
    permutes its axes inside, such as an imported nnU-Net, can mislead it: its importer gives "alignment".)"""
    ratios = [1]
    hooks = []

    def hook(_m, _i, out):
        outs = out if isinstance(out, (tuple, list)) else [out]
        for o in outs:
            if torch.is_tensor(o) and o.dim() == 5:
                for d in range(3):
                    if o.shape[2 + d] > 0 and patch_size[d] % o.shape[2 + d] == 0:
                        r = patch_size[d] // o.shape[2 + d]
                        if r & (r - 1) == 0:        # strides are powers of two; other ratios come from permuted axes
                            ratios.append(r)

    for m in net.modules():
        hooks.append(m.register_forward_hook(hook))
    try:
        with torch.no_grad():
            net(torch.zeros((1, in_channels) + tuple(patch_size)))
    finally:
        for h in hooks:
            h.remove()
    return max(ratios)


def _put_after(d, anchor, key, value):
    """Returns dict d with key: value inserted right after anchor (at the end when anchor is absent)."""
    items = [(k, v) for k, v in d.items() if k != key]
    at = next((i + 1 for i, (k, _) in enumerate(items) if k == anchor), len(items))
    return dict(items[:at] + [(key, value)] + items[at:])


class FrozenLeakyReLU(nn.Module):
    """A frozen single-parameter nn.PReLU as F.leaky_relu with its slope (a Python float: no parameter, so the traced
    graph holds aten::leaky_relu with a constant). Same values in both directions (x > 0 ? x : slope * x, and the
    gradient g or slope * g), but libtorch's PReLU backward also computes the slope's gradient with a scalar kernel,
    which nobody uses: 18.5% of a VJP on the paper-size U-Net (docs/saliency.md). The frozen weight stays as a buffer
    under its name ("weight", unused by forward), so the exported state dict has the network's keys: a bundle's model.pt
    can be loaded into the network again (--checkpoint OLD/model.pt --builder ...)."""

    def __init__(self, weight):
        super().__init__()
        self.register_buffer("weight", weight.detach().clone())
        self.negative_slope = float(weight.detach().reshape(()).item())

    def forward(self, x):
        return nn.functional.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return "negative_slope=%r (frozen PReLU)" % self.negative_slope


def replace_prelus(net):
    """Replaces, in place, every nn.PReLU with one parameter by FrozenLeakyReLU (wherever the network holds it, also
    twice). Returns (replaced, kept): the dotted names of the PReLUs replaced and of those kept (several parameters,
    one slope per channel: leaky_relu has a single slope)."""
    names = {}
    for name, m in net.named_modules():
        if isinstance(m, nn.PReLU):
            names.setdefault(id(m), name)
    replaced, kept, done = [], [], {}
    for parent in list(net.modules()):
        for child, m in list(parent._modules.items()):
            if not isinstance(m, nn.PReLU):
                continue
            if m.weight.numel() != 1:
                if names[id(m)] not in kept:
                    kept.append(names[id(m)])
                continue
            if id(m) not in done:
                done[id(m)] = FrozenLeakyReLU(m.weight)
                replaced.append(names[id(m)])
            setattr(parent, child, done[id(m)])
    return replaced, kept


def _bit_identical(a, b, x, cot, delta=None, dcot=None):
    """None when the modules a and b (traced) give bit-identical (torch.equal) logits and input gradients for input
    x and logit cotangent cot (and, with delta, the same features and delta gradients through forward_features);
    else what differs."""
    def run(m):
        xi = x.clone().requires_grad_(True)
        with torch.enable_grad():
            y = m.forward(xi)
            gx, = torch.autograd.grad(y, xi, cot)
            out = [("logits", y.detach()), ("input gradient", gx)]
            if delta is not None:
                d = delta.clone().requires_grad_(True)
                yl, f = m.forward_features(x, d)
                gd, = torch.autograd.grad([yl, f], [d], [cot, dcot])
                out += [("forward_features logits", yl.detach()), ("features", f.detach()),
                        ("feature gradient", gd)]
        return out
    for (what, u), (_, v) in zip(run(a), run(b)):
        if not torch.equal(u, v):
            return "%s (max |difference| %.3g)" % (what, (u - v).abs().max().item())
    return None


def export(net, layer, out_dir, meta, patch_size, in_channels, seed=0, tol=1e-4, prelu_as_leaky_relu=True):
    net = net.float().eval()
    meta = {k: v for k, v in meta.items() if k != "prelu_as_leaky_relu"}  # this export's own record only
    torch.manual_seed(seed)
    shape = (1, in_channels) + tuple(patch_size)
    x = torch.randn(shape)
    with torch.no_grad():
        ref_logits = net(x)
        ref_layer = dict(net.named_modules())[layer]
        captured = {}
        h = ref_layer.register_forward_hook(lambda m, i, o: captured.__setitem__("f", o))
        net(x)
        h.remove()
    feat_shape = captured["f"].shape
    wrapper = FeatureWrapper(net, layer).eval()
    delta0 = torch.zeros(feat_shape)
    with torch.no_grad():
        traced = torch.jit.trace_module(wrapper, {"forward": (x,), "forward_features": (x, delta0)},
                                        check_trace=False)
    traced = traced.eval()

    # frozen single-parameter PReLUs as leaky_relu (no unused slope gradient in every VJP), checked bit for bit
    # against the module traced as given
    replaced, kept = replace_prelus(wrapper.net) if prelu_as_leaky_relu else ([], [])
    for name in kept:
        print("note: %s is a PReLU with %d parameters (one slope per channel): kept as PReLU (its backward also computes "
              "the slopes' gradient)" % (name, dict(wrapper.net.named_modules())[name].weight.numel()))
    if replaced:
        with torch.no_grad():
            leaky = torch.jit.trace_module(wrapper, {"forward": (x,), "forward_features": (x, delta0)},
                                           check_trace=False).eval()
        buf = io.BytesIO()  # checked as saved and loaded again (the slopes go through the archive's code as text)
        torch.jit.save(leaky, buf)
        buf.seek(0)
        leaky = torch.jit.load(buf).eval()
        ref_layer = next(m for m in wrapper.modules() if isinstance(m, _DeltaLayer)).layer
        g = torch.Generator().manual_seed(seed)
        xc = torch.randn(shape, generator=g)
        cot = torch.randn(ref_logits.shape, generator=g)
        dcot = torch.randn(feat_shape, generator=g)
        diff = _bit_identical(traced, leaky, xc, cot, torch.zeros(feat_shape), dcot)
        if diff is not None:
            raise SystemExit("error: %d PReLU(s) exported as leaky_relu change the %s on a random input of the patch size "
                             "(seed %d): not exported" % (len(replaced), diff, seed))
        traced = leaky
        meta = dict(meta)
        meta["prelu_as_leaky_relu"] = {
            "replaced": len(replaced), "kept": kept,
            "check": "logits, input gradient, features and feature gradient torch.equal to the PReLU module's on a "
                     "random input of the patch size (seed %d)" % seed}
        print("%d single-parameter PReLU(s) exported as leaky_relu: logits and gradients bit-identical" % len(replaced))
    elif kept:
        meta = dict(meta)
        meta["prelu_as_leaky_relu"] = {"replaced": 0, "kept": kept}

    # verification against the eager network (patch size and one other size), with and without delta
    worst = 0.0
    sizes = [tuple(patch_size)]
    # a second size: half the patch, a multiple of the network's stride (and at least twice it, so that instance
    # normalisation has more than one voxel at the bottom)
    stride = meta.get("alignment") or network_stride(net, patch_size, in_channels)
    other = tuple(max(2 * stride, (p // 2) // stride * stride) for p in patch_size)
    if other != tuple(patch_size):
        sizes.append(other)
    for size in sizes:
        xs = torch.randn((2, in_channels) + size)
        with torch.no_grad():
            captured.clear()
            h = ref_layer.register_forward_hook(lambda m, i, o: captured.__setitem__("f", o))
            eager = net(xs)
            h.remove()
            feats = captured["f"]
            got = traced.forward(xs)
            worst = max(worst, (got - eager).abs().max().item())
            d = torch.randn(feats.shape) * 0.1
            got_l, got_f = traced.forward_features(xs, d)
            eager_f = feats + d
            # eager logits with delta added through a hook
            h = ref_layer.register_forward_hook(lambda m, i, o: o + d)
            eager_l = net(xs)
            h.remove()
            worst = max(worst, (got_l - eager_l).abs().max().item(), (got_f - eager_f).abs().max().item())
    scale = max(1.0, ref_logits.abs().max().item())
    if worst > tol * scale:
        raise SystemExit("error: exported module differs from the eager one by %g (tolerance %g)" % (worst, tol * scale))

    # receptive field and translation-equivariance step, for the saliency engine (kept when the caller gives them)
    meta = dict(meta)
    lesion = meta.get("lesion_channel", 1)
    if "receptive_field" not in meta:
        rf = probe_receptive_field(traced, patch_size, in_channels, lesion)
        meta = _put_after(meta, "features", "receptive_field", rf)
    if "alignment" not in meta:
        stride = network_stride(net, patch_size, in_channels)
        if meta["receptive_field"] is None:
            align = stride
        else:
            align = probe_alignment(traced, patch_size, in_channels, meta["receptive_field"])
            if align != stride:
                print("warning: translation equivariance gives alignment %d, the network's shapes stride %d; using %d"
                      % (align, stride, max(align, stride)))
                align = max(align, stride)
        meta = _put_after(meta, "features", "alignment", align)
    print("alignment %s, receptive_field %s" % (meta["alignment"], json.dumps(meta["receptive_field"])))

    os.makedirs(os.path.dirname(os.path.abspath(out_dir)) or ".", exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".export-", dir=os.path.dirname(os.path.abspath(out_dir)) or ".")
    os.chmod(tmp, 0o755)
    try:
        model_path = os.path.join(tmp, "model.pt")
        traced.save(model_path)
        with open(model_path, "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        meta["feature_layer"] = layer
        meta["feature_shape_at_patch"] = list(feat_shape[1:])
        meta["exported_with"] = "torch " + torch.__version__
        meta["model_sha256"] = sha
        if "prelu_as_leaky_relu" in meta:  # after the exporter's other records
            meta["prelu_as_leaky_relu"] = meta.pop("prelu_as_leaky_relu")
        with open(os.path.join(tmp, "ies-model.json"), "w") as f:
            json.dump(meta, f, indent=2)
            f.write("\n")
        if os.path.isdir(out_dir):
            for name in ("model.pt", "ies-model.json"):
                os.replace(os.path.join(tmp, name), os.path.join(out_dir, name))
            shutil.rmtree(tmp)
        else:
            os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    print("exported %s (layer %s, features %s, max |exported - eager| = %.3g)" % (out_dir, layer, list(feat_shape), worst))
    return traced


NORMALIZATIONS = ["zscore-nonzero", "zscore", "zscore-mask", "rescale-0-1", "none"]


def geometry_keys(orientation=None, spacing=None, tolerance=None):
    """The bundle keys "orientation", "spacing" and "spacing_tolerance" (only those given), validated as ModelBundle
    (Java) validates them."""
    keys = {}
    if orientation is not None:
        o = orientation.upper()
        axes = {"L": 0, "R": 0, "P": 1, "A": 1, "I": 2, "S": 2}
        if len(o) != 3 or any(c not in axes for c in o) or len({axes[c] for c in o}) != 3:
            raise SystemExit("error: --orientation must be 3 axis codes such as RAS or LPS (one of L/R, P/A, I/S each), got %r"
                             % orientation)
        keys["orientation"] = o
    if spacing is not None:
        if len(spacing) != 3 or not all(s > 0 and s != float("inf") for s in spacing):
            raise SystemExit("error: --spacing must be 3 positive numbers (mm), got %r" % (spacing,))
        keys["spacing"] = [float(s) for s in spacing]
    if tolerance is not None:
        if not tolerance >= 0:
            raise SystemExit("error: --spacing-tolerance must be >= 0 (mm), got %r" % tolerance)
        keys["spacing_tolerance"] = float(tolerance)
    return keys


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--builder", help="package.module:Callable building the network for a state dict")
    p.add_argument("--builder-args", default="{}", help="JSON object of keyword arguments for --builder")
    p.add_argument("--layer", required=True, help="dotted name of the explained layer, e.g. model.1.submodule.2.conv")
    p.add_argument("--out", required=True, help="bundle folder to write")
    p.add_argument("--name", required=True)
    p.add_argument("--description", default="")
    p.add_argument("--inputs", nargs="+", default=["FLAIR", "MPRAGE"])
    p.add_argument("--normalization", default="zscore-nonzero", choices=NORMALIZATIONS,
                   help="one scheme for every input (docs/model.md); per-channel schemes and nnU-Net's \"ct\" with its "
                   "parameters go in --extra '{\"normalization\": [...]}'")
    p.add_argument("--patch-size", nargs=3, type=int, default=[96, 96, 96])
    p.add_argument("--overlap", type=float, default=0.25)
    p.add_argument("--blending", default="gaussian", choices=["gaussian", "constant"])
    p.add_argument("--activation", default="softmax", choices=["softmax", "sigmoid"])
    p.add_argument("--lesion-channel", type=int, default=1)
    p.add_argument("--threshold", type=float, default=0.3)
    p.add_argument("--min-lesion-voxels", type=int, default=6)
    p.add_argument("--connectivity", type=int, default=18, choices=[6, 18, 26])
    p.add_argument("--orientation", help="axis codes of the grid the network was trained on, e.g. RAS (MONAI's "
                   "Orientationd(axcodes=...)); inputs are reoriented to it exactly. Default: none (inputs as stored)")
    p.add_argument("--spacing", nargs=3, type=float, metavar=("I", "J", "K"),
                   help="voxel size in mm the network was trained at, per axis of that grid (MONAI's Spacingd(pixdim=...), "
                   "nnU-Net's plans spacing); inputs are resampled to it. Default: none (inputs as stored)")
    p.add_argument("--spacing-tolerance", type=float, help="mm; a spacing within it of --spacing is kept (default 0.001, "
                   "MONAI's AFFINE_TOL)")
    p.add_argument("--extra", default="{}", help="JSON object of extra keys for ies-model.json (giving \"alignment\" "
                   "or \"receptive_field\" skips its probe)")
    a = p.parse_args(argv)
    net = load_network(a)
    meta = {
        "format": "ies-model/1",
        "name": a.name,
        "description": a.description,
        "inputs": a.inputs,
        "normalization": a.normalization,
        "patch_size": a.patch_size,
        "overlap": a.overlap,
        "blending": a.blending,
        "activation": a.activation,
        "lesion_channel": a.lesion_channel,
        "threshold": a.threshold,
        "min_lesion_voxels": a.min_lesion_voxels,
        "connectivity": a.connectivity,
        "features": True,
    }
    meta.update(geometry_keys(a.orientation, a.spacing, a.spacing_tolerance))
    meta.update(json.loads(a.extra))
    export(net, a.layer, a.out, meta, a.patch_size, len(a.inputs))


if __name__ == "__main__":
    main()
