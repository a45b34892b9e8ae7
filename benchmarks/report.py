#!/usr/bin/env python3
"""Merges JMH's JSON (Genten) and the reference scripts' JSON lines (PyTorch, JAX) into markdown
tables of Genten / cuDNN / PyTorch with ratios; writes them to stdout and to --out.

    python3 report.py results/x/jmh-*.json results/x/pytorch-*.jsonl [--env environment.txt] [--out report.md]

Ratios are speedups of Genten's best implementation: > 1 means Genten is faster.
Training-step anchors are DESIGN.md's figures (PyTorch 2.11 / cuDNN 9.19, one H100, 2026-11-22).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference"))
from shapes import conv_case, dims  # noqa: E402

# DESIGN.md: images/s; (model, batch) -> {mode: figure}
ANCHORS = {
    ("dcgan", 64): {"eager tf32": 8952, "graph tf32": 48421, "eager fp32": 9221, "graph fp32": 29548, "jax tf32": 33735, "jax fp32": 27138},
    ("dcgan", 256): {"eager tf32": 33954, "graph tf32": 110501, "eager fp32": 33734, "graph fp32": 45612, "inductor tf32": 112634, "jax tf32": 105878, "jax fp32": 44952},
    ("dcgan", 1024): {"eager tf32": 135885, "graph tf32": 149433, "eager fp32": 53382, "graph fp32": 53789, "inductor tf32": 160993, "jax tf32": 141617, "jax fp32": 50294},
    ("vae", 64): {"eager tf32": 11627, "graph tf32": 66892, "eager fp32": 14987, "graph fp32": 62427, "inductor tf32": 72122, "jax tf32": 34386, "jax fp32": 32720},
    ("vae", 256): {"eager tf32": 43748, "graph tf32": 138472, "eager fp32": 48982, "graph fp32": 114346, "inductor tf32": 157849, "jax tf32": 114357, "jax fp32": 112903},
    ("vae", 1024): {"eager tf32": 162801, "graph tf32": 173758, "eager fp32": 137779, "graph fp32": 140434, "inductor tf32": 222917, "jax tf32": 255634, "jax fp32": 178247},
}
CPU_ANCHORS = {"vae": 945, "dcgan": 210}  # PyTorch on 2 threads, batch 64


def best_anchor(model, batch, math):
    figures = ANCHORS.get((model, batch), {})
    m = "fp32" if math.upper() in ("FP32", "FP32_3XTF32") else "tf32"
    cands = {k: v for k, v in figures.items() if k.endswith(m)}
    if not cands:
        return None
    k = max(cands, key=cands.get)
    return cands[k], k


def load(paths):
    jmh, ref = [], []
    for p in paths:
        if not os.path.exists(p):
            continue
        with open(p) as f:
            text = f.read().strip()
        if not text:
            continue
        if p.endswith(".json") and text.startswith("["):
            jmh.extend(json.loads(text))
        else:
            for line in text.splitlines():
                line = line.strip()
                if line.startswith("{"):
                    ref.append(json.loads(line))
    return jmh, ref


def us_of(entry):
    """JMH primary metric in microseconds per operation."""
    m = entry["primaryMetric"]
    scale = {"ns/op": 1e-3, "us/op": 1.0, "ms/op": 1e3, "s/op": 1e6}.get(m["scoreUnit"])
    if scale is None:
        raise ValueError("unexpected JMH unit " + m["scoreUnit"])
    try:
        err = float(m.get("scoreError") or 0)  # JMH writes "NaN" for a single iteration
    except (TypeError, ValueError):
        err = float("nan")
    return float(m["score"]) * scale, err * scale


def fmt(x, digits=1):
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    if x >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}"


def ratio(a, b):
    """a / b as 'N.NNx', or '-'."""
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}x"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out


def split(entry):
    bench = entry["benchmark"].split(".")
    return bench[-2], bench[-1], entry.get("params", {})


def train_section(jmh, ref):
    rows = []
    torch = {}
    for r in ref:
        if r.get("kind") == "train" and "images_per_s" in r:
            dev = "cpu" if str(r.get("device", "")).startswith("cpu") else "cuda"
            torch[(dev, r["model"], int(r["batch"]), r["math"].upper(), r["mode"])] = r["images_per_s"]
    for e in jmh:
        cls, method, p = split(e)
        if cls != "TrainStepBench":
            continue
        us, err = us_of(e)
        batch = int(p["batch"])
        ips = batch * 1e6 / us
        backend, model, math, exec_ = p["backend"], p["model"], p["math"], p["exec"]
        math_key = "FP32" if backend == "cpu" else math
        pt = torch.get((backend, model, batch, math_key, "eager" if exec_ == "trainer" else exec_))
        pt_graph = torch.get((backend, model, batch, math_key, "graph"))
        if backend == "cpu":
            anchor = (CPU_ANCHORS.get(model), "PyTorch CPU 2 threads") if batch == 64 else None
        else:
            anchor = best_anchor(model, batch, math)
        rows.append([model, batch, backend, math if backend != "cpu" else "FP32", exec_, fmt(ips), fmt(pt), ratio(ips, pt),
                     fmt(pt_graph) if exec_ == "eager" and backend != "cpu" else "-",
                     f"{fmt(anchor[0])} ({anchor[1]})" if anchor and anchor[0] else "-", ratio(ips, anchor[0] if anchor else None)])
    rows.sort(key=lambda r: (r[0], r[1], r[2], r[3], r[4]))
    ref_rows = sorted(([r["model"], r["batch"], r.get("device", "?"), r["math"], r["mode"],
                        fmt(r.get("images_per_s")) if "images_per_s" in r else "failed: " + r.get("error", "?")[:120],
                        f"{r['setup_s']:.1f}" if "setup_s" in r else "-"]
                       for r in ref if r.get("kind") == "train"), key=lambda r: (r[0], r[1], r[3], r[4]))
    ref_table = (["", "Reference training steps measured in this run:", ""]
                 + table(["model", "batch", "device", "math", "mode", "images/s", "setup s (compile, capture)"], ref_rows)) if ref_rows else []
    return ["## Training steps (images/s; higher is better)", "",
            "Genten's trainer rows (which read the losses back each step) are compared with PyTorch eager (which does not).", ""] + table(
        ["model", "batch", "backend", "math", "exec", "Genten", "PyTorch same mode (this run)", "Genten/PyTorch",
         "PyTorch graph (this run)", "best anchor (DESIGN.md)", "Genten/anchor"], rows) + ref_table + [""]


def conv_section(jmh, ref):
    g = {}
    for e in jmh:
        cls, method, p = split(e)
        if cls != "ConvBench":
            continue
        us, _ = us_of(e)
        math = "FP32" if p["backend"] == "cpu" else p["math"]
        impl = "cpu" if p["backend"] == "cpu" else p["impl"]
        g.setdefault((method, p["shape"], math), {})[impl] = us
    pt = {}
    for r in ref:
        if r.get("kind") == "kernel" and str(r.get("op", "")).startswith("conv.") and "us" in r:
            key = (r["op"][5:], r["shape"], r.get("math", "fp32").upper())
            pt.setdefault(key, {})[r.get("suite", "pytorch")] = r["us"]
    rows = []
    for key in sorted(set(g) | set(pt), key=lambda k: (k[1].split("@")[0], int(k[1].split("@")[1]), k[0], k[2])):
        method, shape, math = key
        flops = conv_case(shape)["flops"]
        gi, pi = g.get(key, {}), pt.get(key, {})
        native, cudnn, cpu, torch_us = gi.get("NATIVE"), gi.get("CUDNN"), gi.get("cpu"), pi.get("pytorch")
        best = min([v for v in (native, cudnn, cpu) if v is not None], default=None)
        tf = lambda us: f"{flops / us / 1e6:.3g}" if us else "-"
        rows.append([method, shape, math, fmt(native), tf(native), fmt(cudnn), tf(cudnn), fmt(cpu), tf(cpu),
                     fmt(torch_us), tf(torch_us), fmt(pi.get("jax")), ratio(cudnn, native), ratio(torch_us, best)])
    return ["## Convolution (us per call; TFLOP/s beside)", "",
            "NATIVE/cuDNN = cuDNN time over our kernel's (> 1: ours faster); vs PyTorch = PyTorch's time over Genten's best.", ""] + table(
        ["pass", "shape", "math", "Genten NATIVE us", "TFLOP/s", "Genten cuDNN us", "TFLOP/s", "Genten CPU us", "TFLOP/s",
         "PyTorch us", "TFLOP/s", "JAX fwd us", "NATIVE vs cuDNN", "Genten best vs PyTorch"], rows) + [""]


def bandwidth_section(jmh, ref, cls, title, prefix, bytes_of):
    g, pt = {}, {}
    for e in jmh:
        c, method, p = split(e)
        if c != cls:
            continue
        us, _ = us_of(e)
        impl = "cpu" if p["backend"] == "cpu" else p.get("impl", "NATIVE")
        g.setdefault((method, p["shape"]), {})[impl] = us
    for r in ref:
        if r.get("kind") == "kernel" and str(r.get("op", "")).startswith(prefix) and "us" in r:
            pt.setdefault((r["op"][len(prefix):], r["shape"]), {})[r.get("impl", "pytorch")] = r["us"]
    rows = []
    for key in sorted(set(g) | set(pt)):
        method, shape = key
        nbytes = bytes_of(method, shape)
        gbps = lambda us: fmt(nbytes / us / 1e3) if us and nbytes else "-"
        gi, pi = g.get(key, {}), pt.get(key, {})
        best = min([v for v in gi.values()], default=None)
        torch_best = min([v for v in pi.values()], default=None)
        cell = lambda us: f"{fmt(us)} ({gbps(us)})" if us else "-"
        rows.append([method, shape] + [cell(gi.get(k)) for k in ("NATIVE", "CUDNN", "cpu")]
                    + [f"{cell(v)} {k}" for k, v in sorted(pi.items())][:2] + ["-"] * (2 - min(2, len(pi)))
                    + [ratio(torch_best, best)])
    return [f"## {title} (us per call, GB/s of the ideal traffic in brackets)", ""] + table(
        ["pass", "shape", "Genten NATIVE", "Genten cuDNN", "Genten CPU", "PyTorch", "PyTorch", "Genten best vs PyTorch"], rows) + [""]


def bn_bytes(method, shape):
    n = 1
    for d in dims(shape):
        n *= d
    return (12 if method == "backward" else 8) * n


def reparam_bytes(method, shape):
    n = 1
    for d in dims(shape):
        n *= d
    return 4 * n * {"forward": 4, "kl": 2, "forwardWithKl": 4, "backwardWithKl": 6}.get(method, 0)


def other_section(jmh):
    rows = []
    for e in jmh:
        cls, method, p = split(e)
        if cls not in ("AdamBench", "OverheadBench"):
            continue
        us, err = us_of(e)
        rows.append([cls, method, ", ".join(f"{k}={v}" for k, v in sorted(p.items())), f"{us * 1000:,.1f} ns" if us < 10 else f"{us:,.1f} us", ("-" if err != err else f"± {err * 1000:,.1f} ns" if us < 10 else f"± {err:,.1f} us")])
    rows.sort()
    return ["## Optimizer and call overheads", "",
            "DESIGN.md: empty FFM downcall ~25 ns, tiny kernel launch through FFM ~4.8 us, one tiny PyTorch op ~11.5 us.", ""] + table(
        ["benchmark", "method", "params", "time per op", "error (99.9%)"], rows) + [""]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inputs", nargs="*")
    ap.add_argument("--env")
    ap.add_argument("--out")
    args = ap.parse_args()
    jmh, ref = load(args.inputs)
    lines = ["# Genten benchmark report", ""]
    if args.env and os.path.exists(args.env):
        lines += ["```"] + open(args.env).read().strip().splitlines() + ["```", ""]
    versions = sorted({(r.get("device"), r.get("torch"), r.get("cudnn")) for r in ref if r.get("torch")}, key=str)
    for dev, tv, cv in versions:
        lines.append(f"PyTorch {tv}, cuDNN {cv}, on {dev}")
    if versions:
        lines.append("")
    errors = [r for r in ref if "error" in r]
    lines += [f"{len(jmh)} JMH results, {len(ref) - len(errors)} reference results ({len(errors)} reference cases failed).", ""]
    lines += train_section(jmh, ref)
    lines += conv_section(jmh, ref)
    lines += bandwidth_section(jmh, ref, "BatchNormBench", "Batch normalization", "batchnorm.", bn_bytes)
    lines += bandwidth_section(jmh, ref, "ReparamBench", "Reparameterization and KL", "reparam.", reparam_bytes)
    lines += other_section(jmh)
    if errors:
        lines += ["## Reference cases that failed", ""] + [f"- {json.dumps({k: v for k, v in r.items() if k not in ('torch', 'cudnn', 'device')})}" for r in errors] + [""]
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
