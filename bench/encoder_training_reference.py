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
are what costs time).

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

    def forward(self, x):
        x = self.input_layer(x)
        taps = {}
        for i, unit in enumerate(self.body):
            x = unit(x)
            taps[i] = x
        c1, c2, c3 = taps[self.ends[1]], taps[self.ends[2]], taps[self.ends[3]]
        up = lambda a, b: F.interpolate(a, size=b.shape[2:], mode="bilinear", align_corners=True) + b  # noqa: E731
        p2 = up(c3, self.latlayer1(c2))
        p1 = up(p2, self.latlayer2(c1))
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


class IDNet(nn.Module):
    """ArcFace IR-SE50 (pSp's ID loss): the trunk on the 112-pixel face crop, the embedding head, L2-normalised."""

    def __init__(self):
        super().__init__()
        self.input_layer, self.body, _, _ = trunk(1)
        self.output = nn.Sequential(nn.BatchNorm2d(512), nn.Dropout(0.6), nn.Flatten(), nn.Linear(512 * 7 * 7, 512),
                                    nn.BatchNorm1d(512))

    def forward(self, x):
        x = F.adaptive_avg_pool2d(x[:, :, 35:223, 32:220], (112, 112))
        x = self.input_layer(x)
        for unit in self.body:
            x = unit(x)
        return F.normalize(self.output(x), dim=1)


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


def run(method, divisor, size, warmup, repeats):
    torch.manual_seed(0)
    style_dim = 512 if divisor == 1 else max(512 // divisor, 16)
    g_divisor = 1 if divisor == 1 else divisor
    sd = random_state_dict(size, style_dim, 8, 2, seed=0, divisor=g_divisor)
    gen = Reference(sd, size, style_dim, 8, torch.float32)
    for v in gen.sd.values():
        v.requires_grad_(False)
    styles = gen.n_latent
    restyle = method == "restyle-psp"
    encoder = (BackboneEncoder if restyle else GradualStyleEncoder)(divisor, styles, style_dim).train()
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

    def calc_loss(y_hat):
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

    for _ in range(warmup):
        step()
    best = float("inf")
    for _ in range(repeats):  # the fastest run: other work on the machine only ever adds time
        start = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    threads, method, divisor, size, warmup, repeats = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7])
    torch.set_num_threads(int(threads))
    seconds = run(method, divisor, size, warmup, repeats)
    print(json.dumps({"ms": seconds * 1e3,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
