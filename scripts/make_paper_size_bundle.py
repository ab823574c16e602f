#!/usr/bin/python3
"""Writes a bundle with the paper's network size and random weights, for timing only (no meaningful output).

The network is MONAI's UNet layout as in the paper (scripts/ies_unet.py: 3D, 2 inputs, 2 classes, channels
32, 64, 128, 256, 512, strides 2, 2, 2, 2, BatchNorm + PReLU, no residual units), randomly initialised
(torch seed --seed). BatchNorm running statistics are made non-trivial by a few train-mode forward passes on
random data (cumulative averages), then the network is exported in eval mode by export_torchscript.export with
the paper's settings: patch 96^3, threshold 0.3, Grad-CAM++ layer model.1.submodule.2.conv. The exporter also
probes and records "alignment" and "receptive_field", and exports the single-parameter PReLUs as leaky_relu
(bit-identical; --keep-prelu keeps them, for timing).

  /usr/bin/python3 scripts/make_paper_size_bundle.py --out /tmp/paper-size-bundle

The bundle is generated: do not commit it.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ies_unet  # noqa: E402
import export_torchscript  # noqa: E402

CHANNELS = (32, 64, 128, 256, 512)
STRIDES = (2, 2, 2, 2)
LAYER = "model.1.submodule.2.conv"


def build(seed=0, passes=3, size=48):
    """The randomly initialised paper-size U-Net, in eval mode, with BatchNorm statistics of random data."""
    torch.manual_seed(seed)
    net = ies_unet.UNet(in_channels=2, out_channels=2, channels=CHANNELS, strides=STRIDES)
    bns = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm3d)]
    for m in bns:
        m.momentum = None  # cumulative average of the batch statistics
    net.train()
    with torch.no_grad():
        for _ in range(passes):
            net(torch.randn(2, 2, size, size, size))
    for m in bns:
        m.momentum = 0.1  # PyTorch's default, as a trained network would have
    return net.eval()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="bundle folder to write")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--keep-prelu", action="store_true", help="export the PReLUs as PReLU, as exporters before "
                   "issue 25 did (for timing the leaky_relu export against; docs/model.md#prelu-as-leaky_relu)")
    a = p.parse_args(argv)
    net = build(a.seed)
    meta = {
        "format": "ies-model/1",
        "name": "paper-size-random",
        "description": "Randomly initialised 3D U-Net of the paper's size (MONAI UNet layout, channels %s, "
                       "strides %s, BatchNorm, PReLU; BatchNorm statistics of random data) made by "
                       "scripts/make_paper_size_bundle.py: random weights, for timing only; its outputs mean nothing"
                       % (list(CHANNELS), list(STRIDES)),
        "inputs": ["FLAIR", "MPRAGE"],
        "normalization": "zscore-nonzero",
        "patch_size": [96, 96, 96],
        "overlap": 0.25,
        "blending": "gaussian",
        "activation": "softmax",
        "lesion_channel": 1,
        "threshold": 0.3,
        "min_lesion_voxels": 6,
        "connectivity": 18,
        "features": True,
    }
    parameters = sum(t.numel() for t in net.parameters())  # before the export turns the PReLUs' slopes into constants
    export_torchscript.export(net, LAYER, a.out, meta, meta["patch_size"], 2, prelu_as_leaky_relu=not a.keep_prelu)
    print("parameters: %d" % parameters)


if __name__ == "__main__":
    main()
