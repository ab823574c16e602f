"""A small 3D U-Net laid out exactly like MONAI's ``monai.networks.nets.UNet`` (num_res_units=0).

MONAI is not a dependency: the network is scripts/monai_layouts.py's UNet (the same module tree as MONAI's, checked
against MONAI 1.5.0 itself by scripts/check-against-monai.py: strict state-dict load, identical outputs), so that
state-dict keys and the dotted layer names match MONAI's. With channels (c0, c1, ..., cn) and strides (s0, ...)::

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
from monai_layouts import UNet as _MonaiUNet


class UNet(_MonaiUNet):
    """MONAI's UNet with num_res_units=0, BatchNorm and PReLU (scripts/monai_layouts.py), under the signature the
    training, export and fixture scripts use."""

    def __init__(self, in_channels=2, out_channels=2, channels=(8, 16, 32, 64), strides=(2, 2, 2), dropout=0.0):
        assert len(channels) == len(strides) + 1 and len(channels) >= 2
        super().__init__(in_channels, out_channels, channels=tuple(channels), strides=tuple(strides), num_res_units=0,
                         norm="batch", dropout=dropout)


def build(config):
    """Builds a UNet from a dict with keys in_channels, out_channels, channels, strides (as saved in checkpoints)."""
    return UNet(in_channels=config["in_channels"], out_channels=config["out_channels"],
                channels=tuple(config["channels"]), strides=tuple(config["strides"]))
