"""The PyTorch side of the encoder-training benchmark in `make bench`.

The official coaches (pSp's and e4e's `training/coach.py`) need CUDA extensions and downloads; this file is a
plain-PyTorch implementation of one of their training steps, written for the benchmark: pSp's
GradualStyleEncoder (IR-SE trunk, feature pyramid, map2style heads) on 256-pixel images, the codes plus latent_avg
rendered by rosinality's generator (bench/stylegan2_reference.py) with fresh noise and pooled to 256, `calc_loss`
(L2 1, LPIPS-Alex 0.8, ArcFace IR-SE50 ID on the face crop 0.1, its features of x, y and y_hat computed as pSp's
IDLoss does, with autograd on), backward, one Adam step over the encoder; e4e adds
its latent discriminator step (a 4-layer MLP, softplus losses on mapping(z) against the codes, Adam) and the
encoder's non-saturating term (0.1); ReStyle (restyle-psp) runs its coach's 5 refinement passes of the BackboneEncoder
from the average image, each pass's loss backpropagated, then one Adam step. Weights are random (the networks' shapes
are what costs time). E2Style (e2style) trains its first stage (the trunk to its third stage, three heads) with its
multi-layer ID (0.5) and U-Net parsing (1) terms beside L2 and LPIPS.

Usage: python3 encoder_training_reference.py THREADS METHOD DIVISOR SIZE WARMUP REPEATS -> one JSON object.
"""
import json
import math
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from stylegan2_reference import Reference, random_state_dict  # noqa: E402


class SEModule(nn.Module):
    def __init__(self, channels, reduction):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, channels // reduction, 1, bias=False)
        self.fc2 = nn.Conv2d(channels // reduction, channels, 1, bias=False)

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(s))))


class BottleneckIRSE(nn.Module):
    def __init__(self, cin, depth, stride, reduction):
        super().__init__()
        self.shortcut = (nn.MaxPool2d(1, stride) if cin == depth else
                         nn.Sequential(nn.Conv2d(cin, depth, 1, stride, bias=False), nn.BatchNorm2d(depth)))
        self.res = nn.Sequential(nn.BatchNorm2d(cin), nn.Conv2d(cin, depth, 3, 1, 1, bias=False), nn.PReLU(depth),
                                 nn.Conv2d(depth, depth, 3, stride, 1, bias=False), nn.BatchNorm2d(depth),
                                 SEModule(depth, reduction))

    def forward(self, x):
        return self.res(x) + self.shortcut(x)


def widths(divisor):
    """IR-SE50's stages (depth, units); narrower: every width / divisor, one unit per stage (our narrow encoders)."""
    if divisor == 1:
        return 64, [(64, 3), (128, 4), (256, 14), (512, 3)], 16
    stages = [(max(d // divisor, 4), 1) for d in (64, 128, 256, 512)]
    return max(64 // divisor, 4), stages, max(min(16, stages[0][0] // 2), 1)


def trunk(divisor, in_channels=3):
    stem, stages, reduction = widths(divisor)
    layers, cin, ends = [], stem, []
    for depth, units in stages:
        for u in range(units):
            layers.append(BottleneckIRSE(cin, depth, 2 if u == 0 else 1, reduction))
            cin = depth
        ends.append(len(layers) - 1)
    input_layer = nn.Sequential(nn.Conv2d(in_channels, stem, 3, 1, 1, bias=False), nn.BatchNorm2d(stem), nn.PReLU(stem))
    return input_layer, nn.ModuleList(layers), ends, [d for d, _ in stages]


class EqualLinear(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(cout, cin))
        self.bias = nn.Parameter(torch.zeros(cout))
        self.scale = 1 / math.sqrt(cin)

    def forward(self, x):
        return F.linear(x, self.weight * self.scale, self.bias)


class GradualStyleBlock(nn.Module):
    def __init__(self, cin, cout, spatial):
        super().__init__()
        layers = []
        for i in range(int(math.log2(spatial))):
            layers += [nn.Conv2d(cin if i == 0 else cout, cout, 3, 2, 1), nn.LeakyReLU()]
        self.convs = nn.Sequential(*layers)
        self.linear = EqualLinear(cout, cout)

    def forward(self, x):
        return self.linear(self.convs(x).flatten(1))


class GradualStyleEncoder(nn.Module):
    """pSp's encoder: styles 0-2 from c3 (1/16), 3-6 from p2 (1/8), the rest from p1 (1/4)."""

    def __init__(self, divisor, styles, style_dim, size=256):
        super().__init__()
        self.input_layer, self.body, self.ends, depths = trunk(divisor)
        top = depths[-1]
        self.styles = nn.ModuleList(GradualStyleBlock(top, style_dim, size // (16 if i < 3 else 8 if i < 7 else 4))
                                    for i in range(styles))
        self.latlayer1 = nn.Conv2d(depths[2], top, 1)
        self.latlayer2 = nn.Conv2d(depths[1], top, 1)

    def pyramid(self, x):
        """c3 (1/16), p2 (1/8) and p1 (1/4): the trunk's last three stages merged top-down."""
        x = self.input_layer(x)
        taps = {}
        for i, unit in enumerate(self.body):
            x = unit(x)
            taps[i] = x
        c1, c2, c3 = taps[self.ends[1]], taps[self.ends[2]], taps[self.ends[3]]
        up = lambda a, b: F.interpolate(a, size=b.shape[2:], mode="bilinear", align_corners=True) + b  # noqa: E731
        p2 = up(c3, self.latlayer1(c2))
        return c3, p2, up(p2, self.latlayer2(c1))

    def forward(self, x):
        c3, p2, p1 = self.pyramid(x)
        return torch.stack([s(c3 if i < 3 else p2 if i < 7 else p1) for i, s in enumerate(self.styles)], 1)


class BackboneEncoder(nn.Module):
    """ReStyle's encoder: the IR-SE trunk on the image beside the current reconstruction (6 channels), every style
    from its last map (1/16)."""

    def __init__(self, divisor, styles, style_dim, size=256):
        super().__init__()
        self.input_layer, self.body, _, depths = trunk(divisor, in_channels=6)
        self.styles = nn.ModuleList(GradualStyleBlock(depths[-1], style_dim, size // 16) for _ in range(styles))

    def forward(self, x):
        x = self.input_layer(x)
        for unit in self.body:
            x = unit(x)
        return torch.stack([s(x) for s in self.styles], 1)


class E2StyleStage(nn.Module):
    """E2Style's first stage: the IR-SE trunk to its third stage, three heads (batch norm, 7x7 average pool, linear)
    on the third, second and first stages' outputs for the coarse, medium and fine codes (9/5/4 of 18, scaled)."""

    def __init__(self, divisor, styles, style_dim):
        super().__init__()
        self.input_layer, self.body, self.ends, depths = trunk(divisor)
        fine = max(1, round(4 * styles / 18)) if styles != 18 else 4
        coarse = max(1, round(styles / 2)) if styles != 18 else 9
        self.counts = [coarse, styles - coarse - fine, fine]
        self.style_dim = style_dim
        self.heads = nn.ModuleList(
            nn.Sequential(nn.BatchNorm2d(depths[i]), nn.AdaptiveAvgPool2d(7), nn.Flatten(),
                          nn.Linear(depths[i] * 49, style_dim * n)) for i, n in zip((2, 1, 0), self.counts))

    def forward(self, x):
        x = self.input_layer(x)
        taps = {}
        for i, unit in enumerate(self.body[:self.ends[2] + 1]):
            x = unit(x)
            taps[i] = x
        outs = [h(taps[self.ends[i]]).view(x.shape[0], n, self.style_dim)
                for h, i, n in zip(self.heads, (2, 1, 0), self.counts)]
        return torch.cat(outs, 1)


class UNetParser(nn.Module):
    """E2Style's U-Net parser (feature scale 4): the five encoder features its parsing loss compares."""

    def __init__(self):
        super().__init__()
        w = [16, 32, 64, 128, 256]
        block = lambda a, b: nn.Sequential(nn.Conv2d(a, b, 3, padding=1), nn.BatchNorm2d(b), nn.ReLU(),  # noqa: E731
                                           nn.Conv2d(b, b, 3, padding=1), nn.BatchNorm2d(b), nn.ReLU())
        self.stages = nn.ModuleList(block(a, b) for a, b in zip([3] + w[:3], w[:4]))
        self.center = block(w[3], w[4])

    def forward(self, x):
        feats = []
        for stage in self.stages:
            x = F.max_pool2d(stage(x), 2)
            feats.append(x)
        feats.append(self.center(x))
        return [f.flatten(1) for f in feats]


class IDNet(nn.Module):
    """ArcFace IR-SE50 (pSp's ID loss): the trunk on the 112-pixel face crop, the embedding head, L2-normalised;
    `multi` gives E2Style's features too (each stage's output and the embedding)."""

    def __init__(self):
        super().__init__()
        self.input_layer, self.body, self.ends, _ = trunk(1)
        self.output = nn.Sequential(nn.BatchNorm2d(512), nn.Dropout(0.6), nn.Flatten(), nn.Linear(512 * 7 * 7, 512),
                                    nn.BatchNorm1d(512))

    def forward(self, x, multi=False):
        x = F.adaptive_avg_pool2d(x[:, :, 35:223, 32:220], (112, 112))
        x = self.input_layer(x)
        stages = []
        for i, unit in enumerate(self.body):
            x = unit(x)
            if i in self.ends:
                stages.append(x)
        embedding = F.normalize(self.output(x), dim=1)
        return [s.flatten(1) for s in stages] + [embedding] if multi else embedding


class LPIPSAlex(nn.Module):
    """LPIPS v0.1 on AlexNet's five ReLU outputs: scaling, unit-normalised features, 1x1 linear layers, mean."""

    def __init__(self):
        super().__init__()
        self.slices = nn.ModuleList([
            nn.Sequential(nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU()),
            nn.Sequential(nn.MaxPool2d(3, 2), nn.Conv2d(64, 192, 5, padding=2), nn.ReLU()),
            nn.Sequential(nn.MaxPool2d(3, 2), nn.Conv2d(192, 384, 3, padding=1), nn.ReLU()),
            nn.Sequential(nn.Conv2d(384, 256, 3, padding=1), nn.ReLU()),
            nn.Sequential(nn.Conv2d(256, 256, 3, padding=1), nn.ReLU())])
        self.lins = nn.ModuleList(nn.Conv2d(c, 1, 1, bias=False) for c in (64, 192, 384, 256, 256))
        self.register_buffer("shift", torch.tensor([-.030, -.088, -.188]).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor([.458, .448, .450]).view(1, 3, 1, 1))

    def forward(self, a, b):
        a, b = (a - self.shift) / self.scale, (b - self.shift) / self.scale
        total = 0
        for s, lin in zip(self.slices, self.lins):
            a, b = s(a), s(b)
            na = a / (a.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            nb = b / (b.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            total = total + lin((na - nb) ** 2).mean([2, 3])
        return total.mean()


class IBasicBlock(nn.Module):
    """arcface_torch's block: BN, 3x3 conv, BN, PReLU, 3x3 conv with the stride, BN, plus the (projected) input."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.res = nn.Sequential(nn.BatchNorm2d(cin), nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout),
                                 nn.PReLU(cout), nn.Conv2d(cout, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout))
        self.down = (None if stride == 1 and cin == cout else
                     nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)))

    def forward(self, x):
        return self.res(x) + (x if self.down is None else self.down(x))


def iresnet_stages(stem, widths, blocks):
    stages, cin = nn.ModuleList(), stem
    for width, count in zip(widths, blocks):
        stages.append(nn.Sequential(*[IBasicBlock(cin if b == 0 else width, width, 2 if b == 0 else 1)
                                      for b in range(count)]))
        cin = width
    return stages


class IResNet50(nn.Module):
    """arcface_torch's iResNet-50 (the Feature-Style ID loss): the whole image at 112 (nearest), every stage's output
    and the embedding."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.PReLU(64))
        self.stages = iresnet_stages(64, [64, 128, 256, 512], [3, 4, 14, 3])
        self.head = nn.Sequential(nn.BatchNorm2d(512), nn.Dropout(0), nn.Flatten(), nn.Linear(512 * 49, 512),
                                  nn.BatchNorm1d(512))

    def forward(self, x):
        x = self.conv(F.interpolate(x, size=(112, 112)))
        outs = []
        for stage in self.stages:
            x = stage(x)
            outs.append(x.flatten(1))
        return outs + [self.head(x)]


class FSEncoder(nn.Module):
    """fs_encoder_v2: the iResNet trunk (widths / divisor, one block per stage when narrow), every stage pooled to 3x3
    into one linear per style, and the feature from the third stage (content_layer, stride 2)."""

    def __init__(self, divisor, styles, style_dim, feature_channels):
        super().__init__()
        stem = 64 if divisor == 1 else max(64 // divisor, 4)
        widths = [w if divisor == 1 else max(w // divisor, 4) for w in (64, 128, 256, 512)]
        blocks = [3, 4, 14, 3] if divisor == 1 else [1, 1, 1, 1]
        self.conv = nn.Sequential(nn.Conv2d(3, stem, 3, 1, 1, bias=False), nn.BatchNorm2d(stem), nn.PReLU(stem))
        self.stages = iresnet_stages(stem, widths, blocks)
        f = feature_channels
        self.content = nn.Sequential(nn.BatchNorm2d(widths[2]), nn.Conv2d(widths[2], f, 3, 1, 1, bias=False),
                                     nn.BatchNorm2d(f), nn.PReLU(f), nn.Conv2d(f, f, 3, 2, 1, bias=False), nn.BatchNorm2d(f))
        self.styles = nn.ModuleList(nn.Linear(sum(widths) * 9, style_dim) for _ in range(styles))

    def forward(self, x):
        x = self.conv(x)
        pooled = []
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i == 2:
                feature = self.content(x)
            pooled.append(F.adaptive_avg_pool2d(x, 3))
        flat = torch.cat(pooled, 1).flatten(1)
        return torch.stack([s(flat) for s in self.styles], 1), feature


class ConvBNReLU(nn.Sequential):
    def __init__(self, cin, cout, k=3):
        super().__init__(nn.Conv2d(cin, cout, k, 1, k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class BiSeNet(nn.Module):
    """face-parsing.PyTorch's BiSeNet (ResNet-18 context path, attention refinement, feature fusion, three heads),
    logits upsampled to the input; the Feature-Style parsing term compares all three."""

    def __init__(self, classes=19):
        super().__init__()

        def basic(cin, cout, stride):
            return nn.ModuleDict({"res": nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout),
                                                       nn.ReLU(), nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)),
                                  "down": (nn.Identity() if stride == 1 and cin == cout else
                                           nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)))})
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
        self.layers = nn.ModuleList()
        cin = 64
        for i, w in enumerate((64, 128, 256, 512)):
            self.layers.append(nn.ModuleList([basic(cin, w, 1 if i == 0 else 2), basic(w, w, 1)]))
            cin = w
        self.arm16, self.arm32 = (nn.ModuleList([ConvBNReLU(c, 128), nn.Conv2d(128, 128, 1, bias=False), nn.BatchNorm2d(128)])
                                  for c in (256, 512))
        self.head32, self.head16, self.avg = ConvBNReLU(128, 128), ConvBNReLU(128, 128), ConvBNReLU(512, 128, 1)
        self.ffm = nn.ModuleList([ConvBNReLU(256, 256, 1), nn.Conv2d(256, 64, 1, bias=False), nn.Conv2d(64, 256, 1, bias=False)])
        self.outs = nn.ModuleList(nn.Sequential(ConvBNReLU(c, m), nn.Conv2d(m, classes, 1, bias=False))
                                  for c, m in ((256, 256), (128, 64), (128, 64)))

    def forward(self, x):
        size = x.shape[2:]
        h = self.stem(x)
        feats = []
        for layer in self.layers:
            for block in layer:
                h = F.relu(block["res"](h) + block["down"](h))
            feats.append(h)
        f8, f16, f32 = feats[1], feats[2], feats[3]

        def arm(m, t):
            t = m[0](t)
            return t * torch.sigmoid(m[2](m[1](F.adaptive_avg_pool2d(t, 1))))
        context = F.interpolate(self.avg(F.adaptive_avg_pool2d(f32, 1)), size=f32.shape[2:])
        up32 = self.head32(F.interpolate(arm(self.arm32, f32) + context, size=f16.shape[2:]))
        up16 = self.head16(F.interpolate(arm(self.arm16, f16) + up32, size=f8.shape[2:]))
        fused = self.ffm[0](torch.cat([f8, up16], 1))
        fused = fused * torch.sigmoid(self.ffm[2](F.relu(self.ffm[1](F.adaptive_avg_pool2d(fused, 1))))) + fused
        logits = [o(t) for o, t in zip(self.outs, (fused, up16, up32))]
        return [F.interpolate(l, size=size, mode="bilinear", align_corners=True).flatten(1) for l in logits]


def synthesis_with_feature(gen, latent, noise, feature=None, layer=5, blend=1.0):
    """rosinality's synthesis with the Feature-Style encoder's injection: layer `layer`'s output (recorded) replaced by
    (1 - blend) x + blend f as the next layer's input."""
    out = gen.sd["input.input"].repeat(latent.shape[0], 1, 1, 1)
    out = gen.styled(out, latent[:, 0], noise[0], "conv1")
    skip = gen.to_rgb(out, latent[:, 1], "to_rgb1", None)
    own, k, i = None, 1, 1
    for j in range(gen.log_size - 2):
        for half in range(2):
            out = gen.styled(out, latent[:, i + half], noise[2 * j + 1 + half], f"convs.{2 * j + half}", upsample=half == 0)
            k += 1
            if half == 1:
                skip = gen.to_rgb(out, latent[:, i + 2], f"to_rgbs.{j}", skip)
            if k == layer:
                own = out
                if feature is not None:
                    out = (1 - blend) * out + blend * feature
        i += 2
    return skip, own


class LatentCodesDiscriminator(nn.Module):
    """e4e's: four EqualLinear layers with leaky ReLU (0.2) over a w, one logit."""

    def __init__(self, dim):
        super().__init__()
        self.layers = nn.ModuleList(EqualLinear(dim, dim) for _ in range(3))
        self.out = EqualLinear(dim, 1)

    def forward(self, w):
        for layer in self.layers:
            w = F.leaky_relu(layer(w), 0.2)
        return self.out(w)


def fastest(step, warmup, repeats):
    """Seconds of the fastest of `repeats` steps after `warmup` untimed ones: other work on the machine only ever adds
    time."""
    for _ in range(warmup):
        step()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - start)
    return best


def run(method, divisor, size, warmup, repeats):
    torch.manual_seed(0)
    style_dim = 512 if divisor == 1 else max(512 // divisor, 16)
    g_divisor = 1 if divisor == 1 else divisor
    sd = random_state_dict(size, style_dim, 8, 2, seed=0, divisor=g_divisor)
    gen = Reference(sd, size, style_dim, 8, torch.float32)
    for v in gen.sd.values():
        v.requires_grad_(False)
    styles = gen.n_latent
    if method == "fs":
        return run_fs(gen, style_dim, divisor, warmup, repeats)
    if method == "clcae":
        return run_clcae(gen, style_dim, divisor, warmup, repeats)
    restyle = method == "restyle-psp"
    e2style = method == "e2style"
    encoder = (BackboneEncoder if restyle else E2StyleStage if e2style else GradualStyleEncoder)(
        divisor, styles, style_dim).train()
    parser = UNetParser().eval() if e2style else None
    if parser:
        for p in parser.parameters():
            p.requires_grad_(False)
    with torch.no_grad():
        latent_avg = gen.mapping(torch.randn(1000, style_dim)).mean(0)
    lpips, idnet = LPIPSAlex().eval(), IDNet().eval()
    for p in list(lpips.parameters()) + list(idnet.parameters()):
        p.requires_grad_(False)
    opt = torch.optim.Adam(encoder.parameters(), lr=1e-4)
    disc = LatentCodesDiscriminator(style_dim) if method == "e4e" else None
    d_opt = torch.optim.Adam(disc.parameters(), lr=2e-5) if disc else None
    x = torch.rand(4, 3, 256, 256) * 2 - 1

    def render(codes):
        noise = [torch.randn(codes.shape[0], 1, 2 ** ((l + 5) // 2), 2 ** ((l + 5) // 2)) for l in range(gen.num_layers)]
        return F.adaptive_avg_pool2d(gen.synthesis(codes, noise), (256, 256))

    def cosine_terms(a, b):
        return sum((1 - F.cosine_similarity(u, v.detach(), dim=1)).mean() for u, v in zip(a, b))

    def calc_loss(y_hat):
        if e2style:
            # E2Style's calc_loss: multi-layer ID (0.5) and parsing (1) terms, L2 and LPIPS; targets' features with
            # autograd on, detached, as its losses compute them.
            return (0.5 * cosine_terms(idnet(y_hat, multi=True), idnet(x, multi=True)) + cosine_terms(parser(y_hat), parser(x))
                    + F.mse_loss(y_hat, x) + 0.8 * lpips(y_hat, x))
        # pSp's IDLoss.forward: the features of x, y and y_hat, all with autograd on, y's detached (x == y here).
        x_feats, y_feats, y_hat_feats = idnet(x), idnet(x).detach(), idnet(y_hat)
        improvement = float(((y_hat_feats * y_feats).sum(1) - (y_feats * x_feats).sum(1)).mean().detach())  # noqa: F841
        return F.mse_loss(y_hat, x) + 0.8 * lpips(y_hat, x) + 0.1 * (1 - (y_hat_feats * y_feats).sum(1)).mean()

    if restyle:
        with torch.no_grad():
            avg_codes = latent_avg.view(1, 1, -1).repeat(1, styles, 1)
            avg_image = F.adaptive_avg_pool2d(gen.synthesis(avg_codes), (256, 256)).repeat(x.shape[0], 1, 1, 1)

    def restyle_step():
        # ReStyle's coach: 5 passes from the average image, each pass's loss backpropagated, one optimiser step.
        opt.zero_grad()
        image, codes = avg_image, latent_avg
        for _ in range(5):
            codes = encoder(torch.cat([x, image], 1)) + codes
            y_hat = render(codes)
            calc_loss(y_hat).backward()
            image, codes = y_hat.detach(), codes.detach()
        opt.step()

    def step():
        if restyle:
            return restyle_step()
        if disc is not None:
            d_opt.zero_grad()
            with torch.no_grad():
                real = gen.mapping(torch.randn(4, style_dim))
                fake = (encoder(x) + latent_avg)[:, 0]
            loss_d = F.softplus(-disc(real)).mean() + F.softplus(disc(fake)).mean()
            loss_d.backward()
            d_opt.step()
        opt.zero_grad()
        codes = encoder(x) + latent_avg
        y_hat = render(codes)
        loss = calc_loss(y_hat)
        if disc is not None:
            loss = loss + 0.1 * F.softplus(-disc(codes.reshape(-1, style_dim))).mean()
        loss.backward()
        opt.step()

    return fastest(step, warmup, repeats)


class CrossAttention(nn.Module):
    """DETR-style post-norm cross attention (CLCAE's): norm2(q + attn(q, m, m)), then norm3(t + FFN(t))."""

    def __init__(self, d):
        super().__init__()
        self.attn = nn.MultiheadAttention(d, 4, dropout=0.1)
        self.ffn = nn.Sequential(nn.Linear(d, 2 * d), nn.ReLU(), nn.Dropout(0.1), nn.Linear(2 * d, d))
        self.norm2, self.norm3 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.drop2, self.drop3 = nn.Dropout(0.1), nn.Dropout(0.1)

    def forward(self, q, m):
        t = self.norm2(q + self.drop2(self.attn(q, m, m, need_weights=False)[0]))
        return self.norm3(t + self.drop3(self.ffn(t)))


class CLCAEEncoder(GradualStyleEncoder):
    """CLCAE's inversion encoder: pSp's pyramid, the w head, one head per further row, one cross attention per row
    (query w), and the F cross attention (every p1 position querying w) before `content_layer` down to the feature."""

    def __init__(self, divisor, styles, feature_channels, feature_size):
        d = widths(divisor)[1][-1][0]
        super().__init__(divisor, styles, d)
        self.cross = nn.ModuleList(CrossAttention(d) for _ in range(styles))
        self.feature_cross = CrossAttention(d)
        convs, c = [], d
        for _ in range(int(math.log2(64 // feature_size))):
            convs += [nn.Conv2d(c, feature_channels, 3, 2, 1), nn.LeakyReLU()]
            c = feature_channels
        self.content = nn.Sequential(*convs)

    def forward(self, x):
        c3, p2, p1 = self.pyramid(x)
        codes = [s(c3 if i < 3 else p2 if i < 7 else p1) for i, s in enumerate(self.styles)]
        q = codes[0].unsqueeze(0)
        offsets = torch.stack([a(q, c.unsqueeze(0))[0] for a, c in zip(self.cross, codes)], 1)
        n, ch, h, w = p1.shape
        attended = self.feature_cross(p1.flatten(2).permute(2, 0, 1), q).permute(1, 2, 0).reshape(n, ch, h, w)
        return offsets, codes[0], self.content(attended)


class ContrastivePair(nn.Module):
    """CLCAE's frozen stage-1 pair: the image encoder (trunk to its w head, projection) and the latent encoder (three
    transformer layers, projection), both L2-normalised; the symmetric contrastive loss of their embeddings."""

    def __init__(self, divisor, d):
        super().__init__()
        self.input_layer, self.body, _, depths = trunk(divisor)
        self.head = GradualStyleBlock(depths[-1], d, 16)
        proj = lambda: nn.Sequential(nn.Linear(d, d, bias=False), nn.BatchNorm1d(d), nn.ReLU(),  # noqa: E731
                                     nn.Linear(d, d, bias=False))
        self.image_projection, self.latent_projection = proj(), proj()
        self.layers = nn.ModuleList(nn.TransformerEncoderLayer(d, 4, 2 * d) for _ in range(3))
        self.pos = nn.Parameter(torch.randn(1, 1, d))

    def forward(self, images, image_avg, w, w_avg):
        x = self.input_layer(images - image_avg)
        for unit in self.body:
            x = unit(x)
        a = F.normalize(self.image_projection(self.head(x)), dim=-1)
        h = (w - w_avg).unsqueeze(0)
        for layer in self.layers:
            h = layer(h + self.pos)
        b = F.normalize(self.latent_projection(h[0]), dim=-1)
        logits = math.exp(math.log(1 / 0.07)) * a @ b.T
        labels = torch.arange(a.shape[0])
        return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2


def run_clcae(gen, style_dim, divisor, warmup, repeats):
    """CLCAE's inversion step at batch 2: the three renders (x_rec with the feature, image_ww, image_w), each with
    fresh noise and pooled to 256; L2 1, LPIPS 0.2 and ID 0.1 of each render, the feature term 0.01 and the
    contrastive term 0.1 of the frozen pair; Adam."""
    channels = gen.sd["convs.3.conv.weight"].shape[1]
    encoder = CLCAEEncoder(divisor, gen.n_latent, channels, 16).train()
    lpips, idnet, pair = LPIPSAlex().eval(), IDNet().eval(), ContrastivePair(divisor, style_dim).eval()
    for p in list(lpips.parameters()) + list(idnet.parameters()) + list(pair.parameters()):
        p.requires_grad_(False)
    opt = torch.optim.Adam(encoder.parameters(), lr=1e-4)
    with torch.no_grad():
        latent_avg = gen.mapping(torch.randn(1000, style_dim)).mean(0)
        x_avg = F.adaptive_avg_pool2d(gen.synthesis(latent_avg.view(1, 1, -1).repeat(1, gen.n_latent, 1)), (256, 256))
    x = torch.rand(2, 3, 256, 256) * 2 - 1
    sides = [2 ** ((l + 5) // 2) for l in range(gen.num_layers)]

    def step(blend=0.5):
        opt.zero_grad()
        offsets, base, feature = encoder(x - x_avg)
        w = base + latent_avg
        rows = w.unsqueeze(1).repeat(1, gen.n_latent, 1)
        refine = offsets + rows
        noise = lambda: [torch.randn(2, 1, r, r) for r in sides]  # noqa: E731
        x_rec, own = synthesis_with_feature(gen, refine, noise(), feature, blend=blend)
        image_ww, _ = synthesis_with_feature(gen, refine, noise())
        image_w, _ = synthesis_with_feature(gen, rows, noise())
        renders = [F.adaptive_avg_pool2d(r, (256, 256)) for r in (x_rec, image_ww, image_w)]
        loss = 0
        for r in renders:
            # The coach calls pSp's IDLoss once per render: the features of x, y and the render each time.
            x_feats, y_feats, r_feats = idnet(x), idnet(x).detach(), idnet(r)
            _ = float(((r_feats * y_feats).sum(1) - (y_feats * x_feats).sum(1)).mean().detach())
            loss = loss + 0.1 * (1 - (r_feats * y_feats).sum(1)).mean() + F.mse_loss(r, x) + 0.2 * lpips(r, x)
        loss = loss + 0.01 * F.mse_loss(feature, own.detach()) + 0.1 * pair(renders[2], x_avg, w, latent_avg)
        loss.backward()
        opt.step()

    return fastest(step, warmup, repeats)


def run_fs(gen, style_dim, divisor, warmup, repeats):
    """The Feature-Style trainer's update at batch 1 (one synthetic and one real image): two renders with the
    feature blended in, L2 (synthetic half), LPIPS 0.2, multi-layer iResNet-50 ID 0.1, BiSeNet parsing 0.1 at 512
    and the feature term 0.01, Adam."""
    channels = gen.sd["convs.3.conv.weight"].shape[1]
    encoder = FSEncoder(divisor, gen.n_latent, style_dim, channels).train()
    lpips, idnet, parser = LPIPSAlex().eval(), IResNet50().eval(), BiSeNet().eval()
    for p in list(lpips.parameters()) + list(idnet.parameters()) + list(parser.parameters()):
        p.requires_grad_(False)
    opt = torch.optim.Adam(encoder.parameters(), lr=1e-4, betas=(0.95, 0.999))
    with torch.no_grad():
        latent_avg = gen.mapping(torch.randn(1000, style_dim)).mean(0)
    real = torch.rand(1, 3, gen.size, gen.size) * 2 - 1
    sides = [2 ** ((l + 5) // 2) for l in range(gen.num_layers)]
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

    def cosine_terms(a, b):
        return sum((1 - F.cosine_similarity(u, v, dim=1, eps=1e-6)) for u, v in zip(a, b)).mean()

    def parse_view(t):
        return (F.interpolate((t * 0.5 + 0.5).clamp(0, 1), size=(512, 512), mode="bilinear") - mean) / std

    def step(index=3000):
        with torch.no_grad():
            w = gen.mapping(torch.randn(1, style_dim))
            noise = [torch.randn(1, 1, r, r) for r in sides]
            synthetic = gen.synthesis(w.unsqueeze(1).repeat(1, gen.n_latent, 1), noise)
        x = torch.cat([synthetic, real])
        maps = [torch.cat([n, n]) for n in noise]
        opt.zero_grad()
        codes, feature = encoder(F.interpolate(x, size=(256, 256), mode="bilinear"))
        w_recon = codes + latent_avg
        blend = min(1.0, 1e-4 * index)
        fresh = [torch.randn(2, 1, r, r) for r in sides]
        first, own = synthesis_with_feature(gen, w_recon, fresh, feature, blend=blend)
        second, _ = synthesis_with_feature(gen, w_recon, maps, feature, blend=blend)
        l2 = F.mse_loss(first[:1], x[:1])
        lp = sum(lpips(r, x) for r in (first, second))
        ident = sum(cosine_terms(idnet(r), idnet(x)) for r in (first, second))
        # The trainer's landmarkloss runs BiSeNet on the target for each render, as its IDloss runs iResNet-50.
        land = sum(cosine_terms(parser(parse_view(r)), parser(parse_view(x))) for r in (first, second))
        loss = l2 + 0.2 * lp + 0.1 * ident + 0.01 * F.mse_loss(feature, own.detach()) + 0.1 * land
        loss.backward()
        opt.step()

    return fastest(step, warmup, repeats)


def main():
    threads, method, divisor, size, warmup, repeats = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7])
    torch.set_num_threads(int(threads))
    seconds = run(method, divisor, size, warmup, repeats)
    print(json.dumps({"ms": seconds * 1e3,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
