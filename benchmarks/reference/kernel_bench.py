#!/usr/bin/env python3
"""PyTorch (and, if importable, JAX) side of ConvBench, BatchNormBench and ReparamBench: the same
shapes, each call timed with CUDA events over many back-to-back calls (so the figures include
PyTorch's per-call overhead, as DESIGN.md's reference table does). Output: one JSON line per case.

    python3 kernel_bench.py --out results/pytorch-kernels.jsonl [--math tf32,fp32] [--no-jax]
"""
import argparse
import json
import sys
import time

import torch
import torch.nn.functional as F

from shapes import BATCHNORM_SHAPES, CONV_SHAPES, REPARAM_SHAPES, conv_case, dims


def timer(device, iters, warmup):
    def measure(fn):
        for _ in range(warmup):
            fn()
        if device == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            torch.cuda.synchronize()
            start.record()
            for _ in range(iters):
                fn()
            end.record()
            torch.cuda.synchronize()
            return start.elapsed_time(end) * 1000 / iters
        t0 = time.perf_counter()
        for _ in range(iters):
            fn()
        return (time.perf_counter() - t0) * 1e6 / iters
    return measure


def conv_cases(device, measure, math, shapes):
    torch.backends.cuda.matmul.allow_tf32 = math == "tf32"
    torch.backends.cudnn.allow_tf32 = math == "tf32"
    for shape in shapes:
        c = conv_case(shape)
        if device == "cpu" and c["n"] > 64:
            continue
        x = torch.randn(c["n"], c["cin"], c["h"], c["w"], device=device)
        w = torch.randn(c["cout"], c["cin"], c["k"], c["k"], device=device)
        dy = torch.randn(c["n"], c["cout"], c["oh"], c["ow"], device=device)
        s, p = [c["stride"]] * 2, [c["pad"]] * 2
        passes = {
            "forward": lambda: F.conv2d(x, w, None, s, p),
            "backwardData": lambda: torch.ops.aten.convolution_backward(dy, x, w, None, s, p, [1, 1], False, [0, 0], 1, [True, False, False]),
            "backwardFilter": lambda: torch.ops.aten.convolution_backward(dy, x, w, None, s, p, [1, 1], False, [0, 0], 1, [False, True, False]),
        }
        for name, fn in passes.items():
            us = measure(fn)
            yield {"kind": "kernel", "op": "conv." + name, "shape": shape, "math": math, "us": us, "tflops": c["flops"] / us / 1e6}


def batchnorm_cases(device, measure):
    for shape in BATCHNORM_SHAPES:
        n, ch, h, w = dims(shape)
        if device == "cpu" and n * ch * h * w > 16777216:
            continue
        x = torch.randn(n, ch, h, w, device=device)
        dy = torch.randn_like(x)
        gamma, beta = torch.ones(ch, device=device), torch.zeros(ch, device=device)
        rm, rv = torch.zeros(ch, device=device), torch.ones(ch, device=device)
        numel = x.numel()
        _, save_mean, save_invstd = torch.ops.aten.native_batch_norm(x, gamma, beta, rm, rv, True, 0.1, 1e-5)
        fwd = lambda: torch.ops.aten.native_batch_norm(x, gamma, beta, rm, rv, True, 0.1, 1e-5)
        bwd = lambda: torch.ops.aten.native_batch_norm_backward(dy, x, gamma, rm, rv, save_mean, save_invstd, True, 1e-5, [True, True, True])
        for name, fn, nbytes in (("trainForward", fwd, 8 * numel), ("backward", bwd, 12 * numel)):
            us = measure(fn)
            yield {"kind": "kernel", "op": "batchnorm." + name, "impl": "aten-native", "shape": shape, "us": us, "gbps": nbytes / us / 1e3}
        if device == "cuda":
            try:
                _, sm, sv, reserve = torch.ops.aten.cudnn_batch_norm(x, gamma, beta, rm, rv, True, 0.1, 1e-5)
                fwd = lambda: torch.ops.aten.cudnn_batch_norm(x, gamma, beta, rm, rv, True, 0.1, 1e-5)
                bwd = lambda: torch.ops.aten.cudnn_batch_norm_backward(x, dy, gamma, rm, rv, sm, sv, 1e-5, reserve)
                for name, fn, nbytes in (("trainForward", fwd, 8 * numel), ("backward", bwd, 12 * numel)):
                    us = measure(fn)
                    yield {"kind": "kernel", "op": "batchnorm." + name, "impl": "cudnn", "shape": shape, "us": us, "gbps": nbytes / us / 1e3}
            except Exception as e:
                yield {"kind": "kernel", "op": "batchnorm", "impl": "cudnn", "shape": shape, "error": f"{type(e).__name__}: {e}"[:300]}


def reparam_cases(device, measure):
    for shape in REPARAM_SHAPES:
        mu = torch.randn(*dims(shape), device=device)
        logvar = torch.randn_like(mu)
        dz = torch.randn_like(mu)
        eps = torch.randn_like(mu)
        numel = mu.numel()

        def forward():
            e = torch.randn_like(mu)
            return mu + torch.exp(0.5 * logvar) * e, e

        kl = lambda: -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())

        def backward_with_kl():
            std = torch.exp(0.5 * logvar)
            return dz + mu, 0.5 * dz * eps * std + 0.5 * (logvar.exp() - 1)

        for name, fn, arrays in (("forward", forward, 4), ("kl", kl, 2), ("backwardWithKl", backward_with_kl, 6)):
            us = measure(fn)
            yield {"kind": "kernel", "op": "reparam." + name, "shape": shape, "us": us, "gbps": 4 * arrays * numel / us / 1e3}


def jax_cases(iters, maths, shapes):
    """XLA's conv at the same shapes, if JAX with a GPU is importable (wall clock around block_until_ready)."""
    try:
        import jax
        import jax.numpy as jnp
    except Exception:
        return
    if not any(d.platform == "gpu" for d in jax.devices()):
        return
    for math in maths:
        precision = jax.lax.Precision.HIGHEST if math == "fp32" else jax.lax.Precision.DEFAULT
        for shape in shapes:
            c = conv_case(shape)
            key = jax.random.PRNGKey(0)
            x = jax.random.normal(key, (c["n"], c["cin"], c["h"], c["w"]), jnp.float32)
            w = jax.random.normal(key, (c["cout"], c["cin"], c["k"], c["k"]), jnp.float32)
            f = jax.jit(lambda x, w: jax.lax.conv_general_dilated(
                x, w, (c["stride"],) * 2, [(c["pad"], c["pad"])] * 2, precision=precision))
            f(x, w).block_until_ready()
            t0 = time.perf_counter()
            for _ in range(iters):
                y = f(x, w)
            y.block_until_ready()
            us = (time.perf_counter() - t0) * 1e6 / iters
            yield {"suite": "jax", "kind": "kernel", "op": "conv.forward", "shape": shape, "math": math, "us": us,
                   "tflops": c["flops"] / us / 1e6, "jax": jax.__version__}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--math", default="tf32,fp32")
    p.add_argument("--iters", type=int, default=50)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--no-jax", action="store_true")
    p.add_argument("--conv-shapes", default=",".join(CONV_SHAPES), help="name@N list (shapes.py)")
    p.add_argument("--cpu-threads", type=int, default=2)
    p.add_argument("--out", default="-")
    args = p.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.backends.cudnn.benchmark = True
    if device == "cpu":
        torch.set_num_threads(args.cpu_threads)
    info = {"suite": "pytorch", "device": torch.cuda.get_device_name() if device == "cuda" else f"cpu x{args.cpu_threads}",
            "torch": torch.__version__, "cudnn": torch.backends.cudnn.version()}
    measure = timer(device, args.iters if device == "cuda" else 3, args.warmup if device == "cuda" else 1)
    out = sys.stdout if args.out == "-" else open(args.out, "a")

    def emit(row):
        print(json.dumps(row if row.get("suite") else dict(info, **row)), file=out, flush=True)

    maths = args.math.split(",") if device == "cuda" else ["fp32"]
    for math in maths:
        for row in conv_cases(device, measure, math, args.conv_shapes.split(",")):
            emit(row)
    for row in batchnorm_cases(device, measure):
        emit(row)
    for row in reparam_cases(device, measure):
        emit(row)
    if not args.no_jax and device == "cuda":
        for row in jax_cases(args.iters, maths, args.conv_shapes.split(",")):
            emit(row)


if __name__ == "__main__":
    main()
