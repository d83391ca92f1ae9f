"""The PyTorch side of the training rows in `make bench`: one iteration of rosinality's train.py.

rosinality's stylegan2-pytorch compiles CUDA extensions at import, so it cannot run here as published. This file
is a plain-PyTorch implementation of its CPU path, written for the benchmark, over state dicts with its key names:
the generator of stylegan2_reference.py (with random noise maps, as training draws them), model.py's
`Discriminator` (ConvLayer = blur + EqualConv2d + fused leaky ReLU, ResBlock with its 1x1 skip, minibatch stddev,
EqualLinear), and train.py's step: d_logistic_loss, d_r1_loss (double backward), g_nonsaturating_loss on
mixing_noise, g_path_regularize, Adam with the lazy-regularisation ratios, `requires_grad` switching and the EMA
`accumulate`. Before it times anything it checks every loss, regulariser and parameter gradient against the
stylegan2-training64 parity fixture, so the figures are those of the reference computation.

Usage: python3 stylegan2_training_reference.py THREADS FIXTURE_DIR SIZE DIVISOR WARMUP REPEATS
-> one JSON object on stdout. Channel multiplier 2 with every channel count divided by DIVISOR, batch 16. After one
untimed plain iteration, each kind of iteration train.py runs (index 1: D and G steps; index 4: + path length;
index 16: + R1 and path length) runs WARMUP + REPEATS times, and the fastest of the last REPEATS is kept. The peak
resident memory of the process is reported with the times.
"""
import json
import math
import random
import resource
import sys
import time

import torch
import torch.nn.functional as F

from stylegan2_reference import Reference, channels, load_safetensors, make_kernel, random_state_dict, upfirdn2d

# train.py's defaults.
BATCH, R1, PATH_REGULARIZE, PATH_BATCH_SHRINK = 16, 10.0, 2.0, 2
D_REG_EVERY, G_REG_EVERY, MIXING, LR = 16, 4, 0.9, 0.002
STYLE_DIM, N_MLP, CHANNEL_MULTIPLIER = 512, 8, 2


class Discriminator:
    """rosinality's Discriminator forward over a state dict with its key names (model.py)."""

    def __init__(self, sd, size):
        self.sd, self.size = sd, size
        self.blocks = int(math.log2(size)) - 2
        self.blur = make_kernel([1, 3, 3, 1])
        self.stddev_group, self.stddev_feat = 4, 1

    def conv_layer(self, x, prefix, downsample=False, activate=True):
        """ConvLayer: [Blur], EqualConv2d, [FusedLeakyReLU], indexed as its nn.Sequential."""
        i = 1 if downsample else 0
        w = self.sd[f"{prefix}.{i}.weight"]
        k = w.shape[2]
        scale = 1 / math.sqrt(w.shape[1] * k * k)
        if downsample:
            p = (len([1, 3, 3, 1]) - 2) + (k - 1)
            x = upfirdn2d(x, self.blur, pad=((p + 1) // 2, p // 2))
            out = F.conv2d(x, w * scale, stride=2)
        else:
            out = F.conv2d(x, w * scale, padding=k // 2)
        if activate:
            out = F.leaky_relu(out + self.sd[f"{prefix}.{i + 1}.bias"].view(1, -1, 1, 1), 0.2) * math.sqrt(2)
        return out

    def linear(self, x, prefix, act):
        w, b = self.sd[prefix + ".weight"], self.sd[prefix + ".bias"]
        out = F.linear(x, w * (1 / math.sqrt(w.shape[1])))
        return F.leaky_relu(out + b, 0.2) * math.sqrt(2) if act else out + b

    def __call__(self, x):
        out = self.conv_layer(x, "convs.0")
        for i in range(1, self.blocks + 1):
            h = self.conv_layer(out, f"convs.{i}.conv1")
            h = self.conv_layer(h, f"convs.{i}.conv2", downsample=True)
            skip = self.conv_layer(out, f"convs.{i}.skip", downsample=True, activate=False)
            out = (h + skip) / math.sqrt(2)
        batch, channel, height, width = out.shape
        group = min(batch, self.stddev_group)
        stddev = out.view(group, -1, self.stddev_feat, channel // self.stddev_feat, height, width)
        stddev = torch.sqrt(stddev.var(0, unbiased=False) + 1e-8)
        stddev = stddev.mean([2, 3, 4], keepdim=True).squeeze(2)
        stddev = stddev.repeat(group, 1, height, width)
        out = self.conv_layer(torch.cat([out, stddev], 1), "final_conv")
        out = self.linear(out.view(batch, -1), "final_linear.0", act=True)
        return self.linear(out, "final_linear.1", act=False)


def random_discriminator(size, divisor, seed):
    """model.py's initialisation: weights N(0, 1), biases 0, blur kernels as buffers."""
    g = torch.Generator().manual_seed(seed)
    ch = channels(CHANNEL_MULTIPLIER, divisor)
    sd = {"convs.0.0.weight": torch.randn(ch[size], 3, 1, 1, generator=g), "convs.0.1.bias": torch.zeros(ch[size])}
    cin, res = ch[size], size
    for i in range(1, int(math.log2(size)) - 1):
        cout = ch[res // 2]
        sd[f"convs.{i}.conv1.0.weight"] = torch.randn(cin, cin, 3, 3, generator=g)
        sd[f"convs.{i}.conv1.1.bias"] = torch.zeros(cin)
        sd[f"convs.{i}.conv2.0.kernel"] = make_kernel([1, 3, 3, 1])
        sd[f"convs.{i}.conv2.1.weight"] = torch.randn(cout, cin, 3, 3, generator=g)
        sd[f"convs.{i}.conv2.2.bias"] = torch.zeros(cout)
        sd[f"convs.{i}.skip.0.kernel"] = make_kernel([1, 3, 3, 1])
        sd[f"convs.{i}.skip.1.weight"] = torch.randn(cout, cin, 1, 1, generator=g)
        cin, res = cout, res // 2
    sd["final_conv.0.weight"] = torch.randn(ch[4], cin + 1, 3, 3, generator=g)
    sd["final_conv.1.bias"] = torch.zeros(ch[4])
    sd["final_linear.0.weight"] = torch.randn(ch[4], ch[4] * 16, generator=g)
    sd["final_linear.0.bias"] = torch.zeros(ch[4])
    sd["final_linear.1.weight"] = torch.randn(1, ch[4], generator=g)
    sd["final_linear.1.bias"] = torch.zeros(1)
    return sd


def parameters(sd):
    """The trainable entries of a generator or discriminator state dict: all but the noise and blur buffers."""
    return {k: v for k, v in sd.items() if not (k.startswith("noises.") or k.endswith(".kernel"))}


# train.py's losses and regularisers.
def d_logistic_loss(real_pred, fake_pred):
    return F.softplus(-real_pred).mean() + F.softplus(fake_pred).mean()


def d_r1_loss(real_pred, real_img):
    (grad_real,) = torch.autograd.grad(outputs=real_pred.sum(), inputs=real_img, create_graph=True)
    return grad_real.pow(2).reshape(grad_real.shape[0], -1).sum(1).mean()


def g_nonsaturating_loss(fake_pred):
    return F.softplus(-fake_pred).mean()


def g_path_regularize(fake_img, latents, mean_path_length, noise=None, decay=0.01):
    if noise is None:
        noise = torch.randn_like(fake_img) / math.sqrt(fake_img.shape[2] * fake_img.shape[3])
    (grad,) = torch.autograd.grad(outputs=(fake_img * noise).sum(), inputs=latents, create_graph=True)
    path_lengths = torch.sqrt(grad.pow(2).sum(2).mean(1))
    path_mean = mean_path_length + decay * (path_lengths.mean() - mean_path_length)
    path_penalty = (path_lengths - path_mean).pow(2).mean()
    return path_penalty, path_mean.detach(), path_lengths


def latents(g, styles, inject_index, rng):
    """Generator.forward's latent: mapping, then style mixing at inject_index (random when None)."""
    styles = [g.mapping(s) for s in styles]
    if len(styles) < 2:
        return styles[0].unsqueeze(1).repeat(1, g.n_latent, 1)
    if inject_index is None:
        inject_index = rng.randint(1, g.n_latent - 1)
    first = styles[0].unsqueeze(1).repeat(1, inject_index, 1)
    second = styles[1].unsqueeze(1).repeat(1, g.n_latent - inject_index, 1)
    return torch.cat([first, second], 1)


def random_noise(g, batch):
    """randomize_noise: a fresh N(0, 1) map per StyledConv, as NoiseInjection draws it."""
    return [torch.randn(batch, 1, 2 ** ((i + 5) // 2), 2 ** ((i + 5) // 2)) for i in range(g.num_layers)]


def mixing_noise(batch, rng):
    if rng.random() < MIXING:
        return list(torch.randn(2, batch, STYLE_DIM).unbind(0))
    return [torch.randn(batch, STYLE_DIM)]


def requires_grad(params, flag):
    for p in params.values():
        p.requires_grad_(flag)


class Training:
    """train.py's models, optimisers and one iteration of its loop (no augmentation, no data loader)."""

    def __init__(self, size, divisor, seed):
        self.g_sd = random_state_dict(size, STYLE_DIM, N_MLP, CHANNEL_MULTIPLIER, seed, divisor)
        self.d_sd = random_discriminator(size, divisor, seed + 1)
        self.g = Reference(self.g_sd, size, STYLE_DIM, N_MLP, torch.float32)
        self.d = Discriminator(self.d_sd, size)
        self.g_params = parameters(self.g.sd)
        self.d_params = parameters(self.d_sd)
        self.g_ema = {k: v.detach().clone() for k, v in self.g_params.items()}
        g_ratio = G_REG_EVERY / (G_REG_EVERY + 1)
        d_ratio = D_REG_EVERY / (D_REG_EVERY + 1)
        self.g_optim = torch.optim.Adam(self.g_params.values(), lr=LR * g_ratio, betas=(0 ** g_ratio, 0.99 ** g_ratio))
        self.d_optim = torch.optim.Adam(self.d_params.values(), lr=LR * d_ratio, betas=(0 ** d_ratio, 0.99 ** d_ratio))
        self.accum = 0.5 ** (32 / (10 * 1000))
        self.mean_path_length = 0
        self.rng = random.Random(seed)
        torch.manual_seed(seed)
        self.real = torch.rand(BATCH, 3, size, size) * 2 - 1

    def generate(self, batch, return_latents=False):
        latent = latents(self.g, mixing_noise(batch, self.rng), None, self.rng)
        image = self.g.synthesis(latent, random_noise(self.g, batch))
        return (image, latent) if return_latents else image

    @staticmethod
    def zero_grad(params):
        for p in params.values():
            p.grad = None

    def iteration(self, i):
        """One pass of train.py's loop body at index i; returns seconds per phase."""
        d_regularize, g_regularize = i % D_REG_EVERY == 0, i % G_REG_EVERY == 0
        phases, start = {}, time.perf_counter()

        def lap(name):
            nonlocal start
            now = time.perf_counter()
            phases[name] = now - start
            start = now

        real_img = self.real.clone()
        requires_grad(self.g_params, False)
        requires_grad(self.d_params, True)
        fake_img = self.generate(BATCH)
        lap("G forward (D step)")
        fake_pred = self.d(fake_img)
        real_pred = self.d(real_img)
        d_loss = d_logistic_loss(real_pred, fake_pred)
        lap("D forward")
        self.zero_grad(self.d_params)
        d_loss.backward()
        lap("D backward")
        self.d_optim.step()
        lap("Adam (D)")
        if d_regularize:
            real_img.requires_grad = True
            real_pred = self.d(real_img)
            r1_loss = d_r1_loss(real_pred, real_img)
            lap("R1: D forward + gradient to images")
            self.zero_grad(self.d_params)
            (R1 / 2 * r1_loss * D_REG_EVERY + 0 * real_pred[0]).backward()
            self.d_optim.step()
            lap("R1: backward + Adam")
        requires_grad(self.g_params, True)
        requires_grad(self.d_params, False)
        fake_img = self.generate(BATCH)
        lap("G forward")
        g_loss = g_nonsaturating_loss(self.d(fake_img))
        lap("D forward (G step)")
        self.zero_grad(self.g_params)
        g_loss.backward()
        lap("G backward (through D)")
        self.g_optim.step()
        lap("Adam (G)")
        if g_regularize:
            fake_img, latent = self.generate(max(1, BATCH // PATH_BATCH_SHRINK), return_latents=True)
            lap("path: G forward")
            path_loss, self.mean_path_length, _ = g_path_regularize(fake_img, latent, self.mean_path_length)
            lap("path: gradient to w+")
            self.zero_grad(self.g_params)
            (PATH_REGULARIZE * G_REG_EVERY * path_loss + 0 * fake_img[0, 0, 0, 0]).backward()
            self.g_optim.step()
            lap("path: backward + Adam")
        with torch.no_grad():
            for k, p in self.g_params.items():
                self.g_ema[k].mul_(self.accum).add_(p, alpha=1 - self.accum)
        d_loss.item(), g_loss.item()  # train.py reads every loss back each iteration
        lap("EMA and losses read")
        return phases


def self_check(fixture_dir):
    """The largest tolerance-relative error over every value and gradient of the stylegan2-training64 fixture."""
    folder = f"{fixture_dir}/stylegan2-training64"
    cases = load_safetensors(f"{folder}/cases.safetensors")
    g_sd = torch.load(f"{folder}/generator.pt", weights_only=False)["g_ema"]
    d_sd = torch.load(f"{folder}/discriminator.pt", weights_only=False)["d"]
    size = json.load(open(f"{folder}/config.json"))["size"]
    style_dim = g_sd["style.1.weight"].shape[1]
    n_mlp = sum(1 for k in g_sd if k.startswith("style.") and k.endswith(".weight"))
    g = Reference(g_sd, size, style_dim, n_mlp, torch.float32)
    d = Discriminator(d_sd, size)
    g_params, d_params = parameters(g.sd), parameters(d_sd)
    worst = 0.0

    def check(ours, key):
        nonlocal worst
        ref = cases[key]
        err = (ours.detach().reshape(ref.shape) - ref).abs().max().item() / max(1.0, ref.abs().max().item())
        assert err <= 1e-4, f"reference drifted from the fixture at {key}: {err}"
        worst = max(worst, err)

    def check_gradients(params, prefix, loss):
        names = {k[len(prefix) + 1:] for k in cases if k.startswith(prefix + ".")}
        assert names == set(params), f"{prefix}: the fixture's parameters are not the reference's"
        Training.zero_grad(params)
        loss.backward()
        for name, p in params.items():
            check(p.grad if p.grad is not None else torch.zeros_like(p), f"{prefix}.{name}")
        Training.zero_grad(params)

    rng = random.Random(0)
    requires_grad(g_params, False)
    requires_grad(d_params, True)
    fake = g.synthesis(latents(g, [cases["z"]], None, rng))
    check(fake, "fake")
    real_pred, fake_pred = d(cases["real"]), d(fake)
    check(real_pred, "d_real_pred")
    check(fake_pred, "d_fake_pred")
    d_loss = d_logistic_loss(real_pred, fake_pred)
    check(d_loss, "d_loss")
    check_gradients(d_params, "grad_d_loss", d_loss)

    real = cases["real"].clone().requires_grad_(True)
    r1 = d_r1_loss(d(real), real)
    check(r1, "r1_loss")
    check_gradients(d_params, "grad_d_r1", R1 / 2 * r1 * D_REG_EVERY)

    requires_grad(d_params, False)
    requires_grad(g_params, True)
    fake_mix = g.synthesis(latents(g, [cases["z"], cases["z_mix_second"]], 3, rng))
    check(fake_mix, "fake_mix")
    g_loss = g_nonsaturating_loss(d(fake_mix))
    check(g_loss, "g_loss")
    check_gradients(g_params, "grad_g_loss", g_loss)

    half = cases["z"].shape[0] // 2
    latent = latents(g, [cases["z"][:half]], None, rng)
    penalty, path_mean, path_lengths = g_path_regularize(g.synthesis(latent), latent, 0.5, cases["path_noise"])
    check(path_lengths, "path_lengths")
    check(path_mean, "path_mean")
    check(penalty, "path_penalty")
    check_gradients(g_params, "grad_g_path", PATH_REGULARIZE * G_REG_EVERY * penalty)
    return worst


def time_training(size, divisor, warmup, repeats):
    """Fastest seconds per phase of each kind of iteration, by the index that selects it."""
    training = Training(size, divisor, seed=0)
    training.iteration(1)
    result = {}
    for index in [1, G_REG_EVERY, D_REG_EVERY]:
        best = None
        for run in range(warmup + repeats):
            phases = training.iteration(index)
            if run >= warmup and (best is None or sum(phases.values()) < sum(best.values())):
                best = phases  # the fastest: other work on the machine only ever adds time
        result[str(index)] = {"ms": sum(best.values()) * 1e3, "phases_ms": {k: v * 1e3 for k, v in best.items()}}
    return result


def main():
    threads, fixture_dir = int(sys.argv[1]), sys.argv[2]
    size, divisor, warmup, repeats = (int(v) for v in sys.argv[3:7])
    torch.set_num_threads(threads)
    result = {"fixture_max_relative_error": self_check(fixture_dir),
              "iterations": time_training(size, divisor, warmup, repeats),
              "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
