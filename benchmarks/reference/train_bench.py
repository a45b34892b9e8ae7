#!/usr/bin/env python3
"""PyTorch side of TrainStepBench: images/s of one full training step (the GAN's D and G steps,
the VAE's forward/loss/backward/Adam) on synthetic data, per model, batch and math mode, in three
modes: eager, the whole step captured as one CUDA graph (static inputs, warmup on a side stream,
capturable Adam), and optionally torch.compile(mode="max-autotune-no-cudagraphs") inside a captured
step (--compile; slow: minutes per model). cudnn.benchmark is on. Output: one JSON line per case.

    python3 train_bench.py --out results/pytorch-train.jsonl [--compile] [--models vae,dcgan]
"""
import argparse
import json
import sys
import time

import torch
import torch.nn.functional as F

from models import ConvVAE, Discriminator, Generator, vae_loss


def set_math(math):
    tf32 = math == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32


def make_vae_step(batch, device, compile_model, capturable):
    model = ConvVAE().to(device).train()
    fwd = torch.compile(model, mode="max-autotune-no-cudagraphs") if compile_model else model
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, capturable=capturable)
    x = torch.rand(batch, 1, 28, 28, device=device)

    def step():
        opt.zero_grad(set_to_none=False)
        logits, mu, logvar = fwd(x)
        loss = vae_loss(logits, x, mu, logvar)
        loss.backward()
        opt.step()
        return loss

    return step


def make_gan_step(batch, device, compile_model, capturable):
    g, d = Generator().to(device).train(), Discriminator().to(device).train()
    gf = torch.compile(g, mode="max-autotune-no-cudagraphs") if compile_model else g
    df = torch.compile(d, mode="max-autotune-no-cudagraphs") if compile_model else d
    opt_g = torch.optim.Adam(g.parameters(), lr=1e-4, betas=(0.9, 0.999), capturable=capturable)
    opt_d = torch.optim.Adam(d.parameters(), lr=1e-4, betas=(0.9, 0.999), capturable=capturable)
    real = torch.rand(batch, 1, 28, 28, device=device) * 2 - 1
    z = torch.randn(batch, 100, device=device)
    smooth = torch.full((batch, 1), 0.9, device=device)
    zeros = torch.zeros(batch, 1, device=device)
    ones = torch.ones(batch, 1, device=device)

    def step():
        fake = gf(z)
        opt_d.zero_grad(set_to_none=False)
        d_loss = (F.binary_cross_entropy_with_logits(df(real), smooth)
                  + F.binary_cross_entropy_with_logits(df(fake.detach()), zeros))
        d_loss.backward()
        opt_d.step()
        opt_g.zero_grad(set_to_none=False)
        g_loss = F.binary_cross_entropy_with_logits(df(fake), ones)
        g_loss.backward()
        opt_g.step()
        return g_loss

    return step


def time_steps(run, iters, device):
    if device == "cuda":
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        torch.cuda.synchronize()
        start.record()
        for _ in range(iters):
            run()
        end.record()
        torch.cuda.synchronize()
        return start.elapsed_time(end) / iters
    t0 = time.perf_counter()
    for _ in range(iters):
        run()
    return (time.perf_counter() - t0) * 1000 / iters


def bench(model, batch, math, mode, args, device):
    set_math(math)
    graph = mode in ("graph", "compile")
    make = make_vae_step if model == "vae" else make_gan_step
    step = make(batch, device, mode == "compile", capturable=graph)
    t_compile = time.perf_counter()
    if graph:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(args.warmup):
                step()
        torch.cuda.current_stream().wait_stream(side)
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            step()
        run = g.replay
    else:
        for _ in range(args.warmup):
            step()
        run = step
    for _ in range(3):
        run()
    t_compile = time.perf_counter() - t_compile
    ms = time_steps(run, args.iters, device)
    return {"ms_per_step": ms, "images_per_s": batch * 1000.0 / ms, "setup_s": t_compile}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default="vae,dcgan")
    p.add_argument("--batches", default="64,256,1024")
    p.add_argument("--math", default="tf32,fp32")
    p.add_argument("--modes", default="eager,graph")
    p.add_argument("--compile", action="store_true", help="also torch.compile(max-autotune-no-cudagraphs) inside a captured step")
    p.add_argument("--iters", type=int, default=50)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--cpu-threads", type=int, default=2, help="threads when no GPU (DESIGN.md's CPU anchor used 2)")
    p.add_argument("--out", default="-")
    args = p.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.backends.cudnn.benchmark = True
    if device == "cpu":
        torch.set_num_threads(args.cpu_threads)
    modes = args.modes.split(",") + (["compile"] if args.compile else [])
    if device == "cpu":
        modes = [m for m in modes if m == "eager"]
    batches = [int(b) for b in args.batches.split(",")]
    if device == "cpu":
        batches = batches[:1]
    info = {"suite": "pytorch", "kind": "train", "device": torch.cuda.get_device_name() if device == "cuda" else f"cpu x{args.cpu_threads}",
            "torch": torch.__version__, "cudnn": torch.backends.cudnn.version()}
    out = sys.stdout if args.out == "-" else open(args.out, "a")
    for model in args.models.split(","):
        for batch in batches:
            for math in args.math.split(",") if device == "cuda" else ["fp32"]:
                for mode in modes:
                    row = dict(info, model=model, batch=batch, math=math, mode=mode)
                    try:
                        row.update(bench(model, batch, math, mode, args, device))
                    except Exception as e:  # one failing case (e.g. an inductor bug) must not end the run
                        row["error"] = f"{type(e).__name__}: {e}"[:500]
                    print(json.dumps(row), file=out, flush=True)
                    if out is not sys.stdout:
                        print(json.dumps(row), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
