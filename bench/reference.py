"""The PyTorch side of `make bench`: the same loops as the Swift benchmark, timed the same way.

Run by stylegan-bench with the wheel in .deps on PYTHONPATH; prints one JSON object.
"""
import json
import sys
import time

import torch


def per_op_add(iterations):
    a = torch.ones(1, 1)
    b = torch.ones(1, 1)
    for _ in range(1000):
        a + b
    start = time.perf_counter()
    for _ in range(iterations):
        a + b
    return (time.perf_counter() - start) / iterations * 1e9


def conv_forward_backward(iterations, dtype):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(8, 64, 64, 64, generator=gen).to(dtype).requires_grad_(True)
    w = torch.randn(64, 64, 3, 3, generator=gen).to(dtype).requires_grad_(True)

    def step():
        y = torch.nn.functional.conv2d(x, w, padding=1)
        y.sum().backward()

    for _ in range(2):
        step()
    best = float("inf")
    for _ in range(iterations):  # the fastest step: other work on the machine only ever adds time
        start = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    threads, add_iterations, conv_iterations = (int(v) for v in sys.argv[1:4])
    torch.set_num_threads(threads)
    result = {
        "torch": torch.__version__,
        "add_ns": per_op_add(add_iterations),
        "conv_s": conv_forward_backward(conv_iterations, torch.float32),
        "conv_bf16_s": conv_forward_backward(conv_iterations, torch.bfloat16),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
