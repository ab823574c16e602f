"""A small 3D U-Net laid out exactly like MONAI's ``monai.networks.nets.UNet`` (num_res_units=0).

MONAI is not a dependency: this file re-implements the same module tree (checked against MONAI 1.5.0 itself by
scripts/check-against-monai.py: strict state-dict load, identical outputs) so that state-dict keys and the
dotted layer names match MONAI's. With channels (c0, c1, ..., cn) and strides (s0, ...)::

    model.0                      down block 0: Conv3d(in -> c0, stride s0) + BatchNorm + PReLU (half resolution)
    model.1                      SkipConnection(cat([x, submodule(x)], dim=1))
    model.1.submodule.0          down block 1 (quarter resolution)
    model.1.submodule.1          SkipConnection of the deeper levels
    model.1.submodule.2          up block 1: ConvTranspose3d(2*c1 -> c0, stride s1) + BatchNorm + PReLU,
                                 i.e. "a decoder block at half resolution" (the paper's Grad-CAM++ layer);
    model.1.submodule.2.conv     its transposed convolution (what the paper names in MONAI's UNet)
    model.2                      top up block: ConvTranspose3d(2*c0 -> out, stride s0), conv only (logits)

Each block is an ``nn.Sequential`` with children ``conv`` and ``adn`` (adn = N, D, A: BatchNorm3d, Dropout, PReLU),
as MONAI's ``Convolution``.
"""
import torch
import torch.nn as nn


class ADN(nn.Sequential):
    def __init__(self, ch, dropout=0.0):
        super().__init__()
        self.add_module("N", nn.BatchNorm3d(ch))
        if dropout:
            self.add_module("D", nn.Dropout(dropout))
        self.add_module("A", nn.PReLU())


class Convolution(nn.Sequential):
    def __init__(self, cin, cout, stride, transposed=False, conv_only=False, dropout=0.0):
        super().__init__()
        if transposed:
            conv = nn.ConvTranspose3d(cin, cout, 3, stride=stride, padding=1, output_padding=stride - 1)
        else:
            conv = nn.Conv3d(cin, cout, 3, stride=stride, padding=1)
        self.add_module("conv", conv)
        if not conv_only:
            self.add_module("adn", ADN(cout, dropout))


class SkipConnection(nn.Module):
    def __init__(self, submodule):
        super().__init__()
        self.submodule = submodule

    def forward(self, x):
        return torch.cat([x, self.submodule(x)], dim=1)


class UNet(nn.Module):
    def __init__(self, in_channels=2, out_channels=2, channels=(8, 16, 32, 64), strides=(2, 2, 2), dropout=0.0):
        super().__init__()
        assert len(channels) == len(strides) + 1 and len(channels) >= 2

        def block(inc, outc, chs, strs, is_top):
            c, s = chs[0], strs[0]
            if len(chs) > 2:
                sub = block(c, c, chs[1:], strs[1:], False)
                upc = c * 2
            else:
                sub = Convolution(c, chs[1], 1, dropout=dropout)  # bottom layer, stride 1
                upc = c + chs[1]
            down = Convolution(inc, c, s, dropout=dropout)
            up = Convolution(upc, outc, s, transposed=True, conv_only=is_top, dropout=dropout)
            return nn.Sequential(down, SkipConnection(sub), up)

        self.model = block(in_channels, out_channels, list(channels), list(strides), True)

    def forward(self, x):
        return self.model(x)


def build(config):
    """Builds a UNet from a dict with keys in_channels, out_channels, channels, strides (as saved in checkpoints)."""
    return UNet(in_channels=config["in_channels"], out_channels=config["out_channels"],
                channels=tuple(config["channels"]), strides=tuple(config["strides"]))
