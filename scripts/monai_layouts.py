"""MONAI's segmentation networks laid out in plain PyTorch (MONAI cannot be installed here; scripts/check-against-monai.py
checks these layouts against MONAI 1.5.0's source: strict state-dict load and identical outputs).

Each class rebuilds the module tree of its MONAI namesake (MONAI 1.3/1.4 sources: monai/networks/nets/unet.py,
dynunet.py, segresnet.py and monai/networks/blocks/{convolutions,dynunet_block,segresnet_block}.py), with the same
dotted module names, so that a MONAI state dict loads with ``load_state_dict`` and the explained layer is named as in
MONAI (``model.1.submodule.2.conv`` for the UNet's decoder block at half resolution):

  UNet(spatial_dims=3, in_channels, out_channels, channels, strides, num_res_units=0, norm="batch"|"instance",
       kernel_size=3, up_kernel_size=3)
      monai.networks.nets.UNet with act PReLU, adn_ordering "NDA", no dropout. num_res_units > 0 uses MONAI's
      ResidualUnit in the encoder and a ResidualUnit after each transposed convolution (the top one ends with a plain
      convolution: the full-resolution out_channels -> out_channels convolution of MONAI's residual UNet).
  DynUNet(in_channels, out_channels, kernel_size, strides, upsample_kernel_size, filters, res_block=False)
      monai.networks.nets.DynUNet (nnU-Net's architecture): UnetBasicBlock / UnetResBlock, instance norm (affine),
      LeakyReLU 0.01, bias-free convolutions, transposed-convolution upsampling, deep supervision off (inference).
  SegResNet(in_channels, out_channels, init_filters=8, blocks_down=(1, 2, 2, 4), blocks_up=(1, 1, 1), num_groups=8)
      monai.networks.nets.SegResNet: GroupNorm, ReLU, residual blocks, 1x1 convolution + trilinear upsampling
      ("nontrainable", align_corners False), additive skips.

Only the 3D, inference-time layouts are covered; dropout is left out (inactive in eval mode).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def _norm(name, ch, groups=8):
    if name == "batch":
        return nn.BatchNorm3d(ch)
    if name == "instance":
        return nn.InstanceNorm3d(ch)
    if name == "instance_affine":
        return nn.InstanceNorm3d(ch, affine=True)
    if name == "group":
        return nn.GroupNorm(groups, ch)
    raise ValueError(name)


class ADN(nn.Sequential):
    """MONAI's ADN with ordering "NDA": N (norm), D (dropout, only when > 0), A (PReLU)."""

    def __init__(self, ch, norm, dropout=0.0):
        super().__init__()
        self.add_module("N", _norm(norm, ch))
        if dropout:
            self.add_module("D", nn.Dropout(dropout))
        self.add_module("A", nn.PReLU())


class Convolution(nn.Sequential):
    """MONAI's Convolution: conv (or transposed conv) then ADN unless conv_only."""

    def __init__(self, cin, cout, strides=1, kernel_size=3, norm="batch", conv_only=False, is_transposed=False, dropout=0.0):
        super().__init__()
        padding = (kernel_size - 1) // 2
        if is_transposed:
            conv = nn.ConvTranspose3d(cin, cout, kernel_size, stride=strides, padding=padding,
                                      output_padding=strides - 1)
        else:
            conv = nn.Conv3d(cin, cout, kernel_size, stride=strides, padding=padding)
        self.add_module("conv", conv)
        if not conv_only:
            self.add_module("adn", ADN(cout, norm, dropout))


class ResidualUnit(nn.Module):
    """MONAI's ResidualUnit: `subunits` Convolutions (the first strided) plus a residual path."""

    def __init__(self, cin, cout, strides=1, kernel_size=3, subunits=2, norm="batch", last_conv_only=False):
        super().__init__()
        self.conv = nn.Sequential()
        self.residual = nn.Identity()
        sch, sstr = cin, strides
        subunits = max(1, subunits)
        for su in range(subunits):
            conv_only = last_conv_only and su == subunits - 1
            self.conv.add_module("unit%d" % su, Convolution(sch, cout, sstr, kernel_size, norm, conv_only=conv_only))
            sch, sstr = cout, 1
        if strides != 1 or cin != cout:
            rk, rp = (kernel_size, (kernel_size - 1) // 2) if strides != 1 else (1, 0)
            self.residual = nn.Conv3d(cin, cout, rk, strides, rp)

    def forward(self, x):
        res = self.residual(x)
        cx = self.conv(x)
        return cx + res


class SkipConnection(nn.Module):
    def __init__(self, submodule):
        super().__init__()
        self.submodule = submodule

    def forward(self, x):
        return torch.cat([x, self.submodule(x)], dim=1)


class UNet(nn.Module):
    """monai.networks.nets.UNet (3D, PReLU, NDA; dropout only without residual units, as the demo model trains)."""

    def __init__(self, in_channels=2, out_channels=2, channels=(16, 32, 64, 128), strides=(2, 2, 2),
                 num_res_units=0, norm="batch", kernel_size=3, up_kernel_size=3, dropout=0.0):
        super().__init__()
        nru = num_res_units
        if nru > 0 and dropout:
            raise ValueError("dropout with residual units is not laid out here")

        def down_layer(cin, cout, s):
            if nru > 0:
                return ResidualUnit(cin, cout, s, kernel_size, nru, norm)
            return Convolution(cin, cout, s, kernel_size, norm, dropout=dropout)

        def up_layer(cin, cout, s, is_top):
            conv = Convolution(cin, cout, s, up_kernel_size, norm, conv_only=is_top and nru == 0, is_transposed=True,
                               dropout=dropout)
            if nru > 0:
                ru = ResidualUnit(cout, cout, 1, kernel_size, 1, norm, last_conv_only=is_top)
                conv = nn.Sequential(conv, ru)
            return conv

        def block(inc, outc, chs, strs, is_top):
            c, s = chs[0], strs[0]
            if len(chs) > 2:
                sub = block(c, c, chs[1:], strs[1:], False)
                upc = c * 2
            else:
                sub = down_layer(c, chs[1], 1)
                upc = c + chs[1]
            return nn.Sequential(down_layer(inc, c, s), SkipConnection(sub), up_layer(upc, outc, s, is_top))

        self.model = block(in_channels, out_channels, list(channels), list(strides), True)

    def forward(self, x):
        return self.model(x)


# ---------------------------------------------------------------- DynUNet (nnU-Net)

def _dyn_conv(cin, cout, k, s, transposed=False, bias=False):
    p = (k - s + 1) // 2
    if transposed:
        return nn.ConvTranspose3d(cin, cout, k, stride=s, padding=p, output_padding=2 * p + s - k, bias=bias)
    return nn.Conv3d(cin, cout, k, stride=s, padding=p, bias=bias)


class _ConvOnly(nn.Module):
    """MONAI's Convolution(conv_only=True) as DynUNet builds it: a module holding `conv`."""

    def __init__(self, conv):
        super().__init__()
        self.conv = conv

    def forward(self, x):
        return self.conv(x)


class UnetBasicBlock(nn.Module):
    def __init__(self, cin, cout, k, s, norm="instance_affine"):
        super().__init__()
        self.conv1 = _ConvOnly(_dyn_conv(cin, cout, k, s))
        self.conv2 = _ConvOnly(_dyn_conv(cout, cout, k, 1))
        self.lrelu = nn.LeakyReLU(0.01)
        self.norm1 = _norm(norm, cout)
        self.norm2 = _norm(norm, cout)

    def forward(self, x):
        x = self.lrelu(self.norm1(self.conv1(x)))
        return self.lrelu(self.norm2(self.conv2(x)))


class UnetResBlock(UnetBasicBlock):
    """UnetBasicBlock's layers (same names) plus MONAI's residual path."""

    def __init__(self, cin, cout, k, s, norm="instance_affine"):
        super().__init__(cin, cout, k, s, norm)
        self.downsample = cin != cout or s != 1
        if self.downsample:
            self.conv3 = _ConvOnly(_dyn_conv(cin, cout, 1, s))
            self.norm3 = _norm(norm, cout)

    def forward(self, x):
        out = self.norm2(self.conv2(self.lrelu(self.norm1(self.conv1(x)))))
        res = self.norm3(self.conv3(x)) if self.downsample else x
        return self.lrelu(out + res)


class UnetUpBlock(nn.Module):
    def __init__(self, cin, cout, k, up_k, norm="instance_affine"):
        super().__init__()
        self.transp_conv = _ConvOnly(_dyn_conv(cin, cout, up_k, up_k, transposed=True))
        self.conv_block = UnetBasicBlock(cout + cout, cout, k, 1, norm)

    def forward(self, x, skip):
        return self.conv_block(torch.cat((self.transp_conv(x), skip), dim=1))


class UnetOutBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = _ConvOnly(nn.Conv3d(cin, cout, 1, bias=True))

    def forward(self, x):
        return self.conv(x)


class DynUNetSkipLayer(nn.Module):
    def __init__(self, downsample, upsample, next_layer):
        super().__init__()
        self.downsample = downsample
        self.next_layer = next_layer
        self.upsample = upsample

    def forward(self, x):
        down = self.downsample(x)
        return self.upsample(self.next_layer(down), down)


class DynUNet(nn.Module):
    """monai.networks.nets.DynUNet (3D, isotropic kernels and strides given as ints, deep supervision off)."""

    def __init__(self, in_channels, out_channels, kernel_size, strides, upsample_kernel_size, filters=None,
                 res_block=False, norm="instance_affine"):
        super().__init__()
        blk = UnetResBlock if res_block else UnetBasicBlock
        n = len(strides)
        self.filters = list(filters) if filters is not None else [min(2 ** (5 + i), 320) for i in range(n)]
        f = self.filters
        self.input_block = blk(in_channels, f[0], kernel_size[0], strides[0], norm)
        self.downsamples = nn.ModuleList(
            [blk(f[i], f[i + 1], kernel_size[i + 1], strides[i + 1], norm) for i in range(n - 2)])
        self.bottleneck = blk(f[-2], f[-1], kernel_size[-1], strides[-1], norm)
        self.upsamples = nn.ModuleList(
            [UnetUpBlock(f[i + 1], f[i], kernel_size[i + 1], upsample_kernel_size[i], norm) for i in range(n - 1)][::-1])
        self.output_block = UnetOutBlock(f[0], out_channels)

        def skips(downs, ups, bottom):
            if not downs:
                return bottom
            return DynUNetSkipLayer(downs[0], ups[0], skips(downs[1:], ups[1:], bottom))

        self.skip_layers = skips([self.input_block] + list(self.downsamples), list(self.upsamples)[::-1], self.bottleneck)

    def forward(self, x):
        return self.output_block(self.skip_layers(x))


# ---------------------------------------------------------------- SegResNet

class ResBlock(nn.Module):
    def __init__(self, ch, num_groups=8):
        super().__init__()
        self.norm1 = nn.GroupNorm(num_groups, ch)
        self.norm2 = nn.GroupNorm(num_groups, ch)
        self.act = nn.ReLU()
        self.conv1 = _ConvOnly(nn.Conv3d(ch, ch, 3, padding=1, bias=False))
        self.conv2 = _ConvOnly(nn.Conv3d(ch, ch, 3, padding=1, bias=False))

    def forward(self, x):
        identity = x
        x = self.conv1(self.act(self.norm1(x)))
        x = self.conv2(self.act(self.norm2(x)))
        return x + identity


class _Upsample(nn.Module):
    """MONAI's UpSample(mode "nontrainable", interp "linear", align_corners False, scale 2)."""

    def forward(self, x):
        return F.interpolate(x, scale_factor=2.0, mode="trilinear", align_corners=False)


class SegResNet(nn.Module):
    """monai.networks.nets.SegResNet (3D, GroupNorm, ReLU, nontrainable upsampling, no dropout)."""

    def __init__(self, in_channels=2, out_channels=2, init_filters=8, blocks_down=(1, 2, 2, 4), blocks_up=(1, 1, 1),
                 num_groups=8):
        super().__init__()
        f = init_filters
        self.convInit = _ConvOnly(nn.Conv3d(in_channels, f, 3, padding=1, bias=False))
        self.down_layers = nn.ModuleList()
        for i, item in enumerate(blocks_down):
            ch = f * 2 ** i
            pre = _ConvOnly(nn.Conv3d(ch // 2, ch, 3, stride=2, padding=1, bias=False)) if i > 0 else nn.Identity()
            self.down_layers.append(nn.Sequential(pre, *[ResBlock(ch, num_groups) for _ in range(item)]))
        self.up_layers, self.up_samples = nn.ModuleList(), nn.ModuleList()
        n_up = len(blocks_up)
        for i in range(n_up):
            ch = f * 2 ** (n_up - i)
            self.up_layers.append(nn.Sequential(*[ResBlock(ch // 2, num_groups) for _ in range(blocks_up[i])]))
            self.up_samples.append(nn.Sequential(_ConvOnly(nn.Conv3d(ch, ch // 2, 1, bias=False)), _Upsample()))
        self.conv_final = nn.Sequential(nn.GroupNorm(num_groups, f), nn.ReLU(),
                                        _ConvOnly(nn.Conv3d(f, out_channels, 1, bias=True)))

    def forward(self, x):
        x = self.convInit(x)
        down_x = []
        for down in self.down_layers:
            x = down(x)
            down_x.append(x)
        down_x.reverse()
        for i, (up, upl) in enumerate(zip(self.up_samples, self.up_layers)):
            x = up(x) + down_x[i + 1]
            x = upl(x)
        return self.conv_final(x)


def randomize_norm_statistics(net, seed=0):
    """Non-trivial BatchNorm running statistics and affine parameters (eval statistics differ from batch ones)."""
    g = torch.Generator().manual_seed(seed)
    for m in net.modules():
        if isinstance(m, nn.BatchNorm3d):
            m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=g) - 0.5)
            m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=g))
        if isinstance(m, (nn.BatchNorm3d, nn.GroupNorm)) or (isinstance(m, nn.InstanceNorm3d) and m.affine):
            m.weight.data.copy_(0.5 + torch.rand(m.weight.shape, generator=g))
            m.bias.data.copy_(0.2 * (torch.rand(m.bias.shape, generator=g) - 0.5))
    return net
