"""The PyTorch side of the generator benchmark in `make bench`.

rosinality's stylegan2-pytorch compiles CUDA extensions at import, so it cannot run here as published. This file
is a plain-PyTorch implementation of its CPU path, written for the benchmark: the `upfirdn2d_native` FIR
(zero insertion, pad, flipped-kernel conv2d), `fused_leaky_relu` as leaky_relu(x + b) * sqrt(2), and the fused
modulated convolution (per-sample weights, one grouped conv; transposed conv + blur when upsampling). Before it
times anything it checks itself against the stylegan2-tiny64 parity fixture, so the figures are those of the
reference computation.

Usage: python3 stylegan2_reference.py THREADS FIXTURE_DIR ITERATIONS  -> one JSON object on stdout.
"""
import json
import math
import sys
import time

import torch
import torch.nn.functional as F


def make_kernel(k):
    k = torch.tensor(k, dtype=torch.float32)
    k = k[None, :] * k[:, None]
    return k / k.sum()


def upfirdn2d(x, kernel, up=1, pad=(0, 0)):
    n, c, h, w = x.shape
    out = x.reshape(n * c, h, 1, w, 1)
    out = F.pad(out, [0, up - 1, 0, 0, 0, up - 1])
    out = out.reshape(n * c, 1, h * up, w * up)
    out = F.pad(out, [pad[0], pad[1], pad[0], pad[1]])
    k = torch.flip(kernel, [0, 1]).to(x.dtype).reshape(1, 1, *kernel.shape)
    out = F.conv2d(out, k)
    return out.reshape(n, c, out.shape[2], out.shape[3])


class Reference:
    """rosinality's Generator forward over a state dict with its key names."""

    def __init__(self, sd, size, style_dim, n_mlp, dtype):
        self.sd = {k: v.to(dtype) for k, v in sd.items()}
        self.size, self.style_dim, self.n_mlp = size, style_dim, n_mlp
        self.log_size = int(math.log2(size))
        self.num_layers = (self.log_size - 2) * 2 + 1
        self.n_latent = self.log_size * 2 - 2
        self.blur = make_kernel([1, 3, 3, 1]) * 4

    def linear(self, x, prefix, lr_mul=1.0, act=False):
        w, b = self.sd[prefix + ".weight"], self.sd[prefix + ".bias"]
        scale = lr_mul / math.sqrt(w.shape[1])
        if act:
            return F.leaky_relu(F.linear(x, w * scale) + b * lr_mul, 0.2) * math.sqrt(2)
        return F.linear(x, w * scale, b * lr_mul)

    def mapping(self, z):
        x = z * torch.rsqrt(torch.mean(z ** 2, dim=1, keepdim=True) + 1e-8)
        for i in range(1, self.n_mlp + 1):
            x = self.linear(x, f"style.{i}", lr_mul=0.01, act=True)
        return x

    def modconv(self, x, style, prefix, demodulate=True, upsample=False):
        weight = self.sd[prefix + ".weight"]
        _, out_c, in_c, k, _ = weight.shape
        n, _, h, w = x.shape
        s = self.linear(style, prefix + ".modulation").view(n, 1, in_c, 1, 1)
        wt = weight * (1 / math.sqrt(in_c * k * k)) * s
        if demodulate:
            wt = wt * torch.rsqrt(wt.pow(2).sum([2, 3, 4]) + 1e-8).view(n, out_c, 1, 1, 1)
        x = x.reshape(1, n * in_c, h, w)
        if upsample:
            wt = wt.transpose(1, 2).reshape(n * in_c, out_c, k, k)
            out = F.conv_transpose2d(x, wt, stride=2, groups=n)
            out = out.view(n, out_c, out.shape[2], out.shape[3])
            return upfirdn2d(out, self.blur, pad=(1, 1))
        out = F.conv2d(x, wt.view(n * out_c, in_c, k, k), padding=k // 2, groups=n)
        return out.view(n, out_c, h, w)

    def styled(self, x, style, noise, prefix, upsample=False):
        out = self.modconv(x, style, prefix + ".conv", upsample=upsample)
        out = out + self.sd[prefix + ".noise.weight"] * noise
        b = self.sd[prefix + ".activate.bias"].view(1, -1, 1, 1)
        return F.leaky_relu(out + b, 0.2) * math.sqrt(2)

    def to_rgb(self, x, style, prefix, skip):
        out = self.modconv(x, style, prefix + ".conv", demodulate=False) + self.sd[prefix + ".bias"]
        if skip is not None:
            out = out + upfirdn2d(skip, self.blur, up=2, pad=(2, 1))
        return out

    def synthesis(self, latent, noise=None):
        """latent [N, n_latent, D] -> image [N, 3, size, size]; noise maps per layer, else the `noises` buffers."""
        if noise is None:
            noise = [self.sd[f"noises.noise_{i}"] for i in range(self.num_layers)]
        out = self.sd["input.input"].repeat(latent.shape[0], 1, 1, 1)
        out = self.styled(out, latent[:, 0], noise[0], "conv1")
        skip = self.to_rgb(out, latent[:, 1], "to_rgb1", None)
        i = 1
        for j in range(self.log_size - 2):
            out = self.styled(out, latent[:, i], noise[2 * j + 1], f"convs.{2 * j}", upsample=True)
            out = self.styled(out, latent[:, i + 1], noise[2 * j + 2], f"convs.{2 * j + 1}")
            skip = self.to_rgb(out, latent[:, i + 2], f"to_rgbs.{j}", skip)
            i += 2
        return skip


def channels(channel_multiplier, divisor=1):
    """rosinality's channel plan (Generator and Discriminator alike), every count divided by `divisor`."""
    full = {4: 512, 8: 512, 16: 512, 32: 512, 64: 256 * channel_multiplier, 128: 128 * channel_multiplier,
            256: 64 * channel_multiplier, 512: 32 * channel_multiplier, 1024: 16 * channel_multiplier}
    return {r: max(1, c // divisor) for r, c in full.items()}


def random_state_dict(size, style_dim, n_mlp, channel_multiplier, seed, divisor=1):
    g = torch.Generator().manual_seed(seed)
    ch = channels(channel_multiplier, divisor)
    sd = {}
    for i in range(1, n_mlp + 1):
        sd[f"style.{i}.weight"] = torch.randn(style_dim, style_dim, generator=g) / 0.01
        sd[f"style.{i}.bias"] = torch.zeros(style_dim)

    def conv(prefix, cin, cout, k):
        sd[prefix + ".weight"] = torch.randn(1, cout, cin, k, k, generator=g)
        sd[prefix + ".modulation.weight"] = torch.randn(cin, style_dim, generator=g)
        sd[prefix + ".modulation.bias"] = torch.ones(cin)

    def styled(prefix, cin, cout):
        conv(prefix + ".conv", cin, cout, 3)
        sd[prefix + ".noise.weight"] = torch.full((1,), 0.1)
        sd[prefix + ".activate.bias"] = torch.zeros(cout)

    def rgb(prefix, cin):
        conv(prefix + ".conv", cin, 3, 1)
        sd[prefix + ".bias"] = torch.zeros(1, 3, 1, 1)

    log_size = int(math.log2(size))
    sd["input.input"] = torch.randn(1, ch[4], 4, 4, generator=g)
    styled("conv1", ch[4], ch[4])
    rgb("to_rgb1", ch[4])
    cin = ch[4]
    for j, i in enumerate(range(3, log_size + 1)):
        cout = ch[2 ** i]
        styled(f"convs.{2 * j}", cin, cout)
        styled(f"convs.{2 * j + 1}", cout, cout)
        rgb(f"to_rgbs.{j}", cout)
        cin = cout
    for l in range((log_size - 2) * 2 + 1):
        r = 2 ** ((l + 5) // 2)
        sd[f"noises.noise_{l}"] = torch.randn(1, 1, r, r, generator=g)
    return sd


def self_check(fixture_dir):
    ckpt = torch.load(f"{fixture_dir}/stylegan2-tiny64/generator.pt", weights_only=False)
    ref = Reference(ckpt["g_ema"], 64, 128, 4, torch.float32)
    cases = load_safetensors(f"{fixture_dir}/stylegan2-tiny64/cases.safetensors")
    w = cases["w"]
    image = ref.synthesis(w.unsqueeze(1).repeat(1, ref.n_latent, 1))
    err = (image - cases["image_w"]).abs().max().item()
    assert err < 1e-4 * max(1.0, cases["image_w"].abs().max().item()), f"reference drifted from the fixture: {err}"
    z_err = (ref.mapping(cases["z"]) - w).abs().max().item()
    assert z_err < 1e-4, f"reference mapping drifted: {z_err}"
    return err


def load_safetensors(path):
    import struct
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        assert info["dtype"] == "F32"
        buf = bytearray(data[8 + n + start:8 + n + end])
        out[name] = torch.frombuffer(buf, dtype=torch.float32).reshape(info["shape"])
    return out


def time_synthesis(size, batch, iterations):
    sd = random_state_dict(size, 512, 8, 2, seed=0)
    ref = Reference(sd, size, 512, 8, torch.float32)
    g = torch.Generator().manual_seed(1)
    with torch.inference_mode():
        w = ref.mapping(torch.randn(batch, 512, generator=g))
        latent = w.unsqueeze(1).repeat(1, ref.n_latent, 1)
        ref.synthesis(latent)
        best = float("inf")
        for _ in range(iterations):  # the fastest run: other work on the machine only ever adds time
            start = time.perf_counter()
            ref.synthesis(latent)
            best = min(best, time.perf_counter() - start)
        return best / batch


def main():
    threads, fixture_dir, iterations = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(threads)
    result = {"fixture_max_error": self_check(fixture_dir), "ms_per_image": {}}
    for size, batches in [(256, [1, 8]), (1024, [1, 8])]:
        for batch in batches:
            its = iterations if size == 256 else (2 if batch == 1 else 1)
            result["ms_per_image"][f"{size}x{batch}"] = time_synthesis(size, batch, its) * 1e3
    print(json.dumps(result))


if __name__ == "__main__":
    main()
