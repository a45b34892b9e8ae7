#!/usr/bin/env python3
"""Offline issue model of the tiled conv kernels (no GPU needed): how fast can they be at best?

Compiles native/conv.cu (of the working tree, or of a git revision with --rev) with nvcc to PTX
for sm_90a and with ptxas -v for the resource report, finds each tiled kernel's steady-state loop
(the loop that holds the k-step barriers; tile_gemm.cuh runs two k-steps per iteration, so the
counts are divided by the barriers in it) and counts its instructions per warp and k-slice:
mma.sync, FFMA, shared loads / stores, global loads, cvt.rna.tf32, and the rest (integer,
address, predicates, branches, moves). Code only the first 16 threads run (the gather table,
tile_gemm.cuh) is weighted 1/8: one warp of the block's eight runs it. Prints per kernel:
other instructions per MMA (TF32 / 3xTF32) or the FFMA share (FP32), registers, shared memory and
resident blocks per SM, and with --floors the time floor this implies at every model shape.

The model: a Hopper SM issues 4 warp-instructions per clock and retires one m16n8k8 TF32 MMA
per clock (1024 FMA), so a block's k-slice takes max(8 warps * n / 4, 8 warps * mma) SM clocks,
n = instructions per warp and slice; FFMA is 4 warp-instructions per clock (inside n). Floor =
block-slices * that / (SMs * clock), perfectly balanced over the SMs: waves, latency and memory
are ignored, so the real time is above it. PTX, not SASS (no cuobjdump here): ptxas removes some
moves and folds some address arithmetic, so the counts are an upper estimate of the SASS loop;
register-to-register moves (renames ptxas coalesces) are not counted.

Usage: python3 native/check/issue_model.py [--rev REV] [--floors] [--sms 132] [--ghz 1.755]
"""
import argparse
import math
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODES = {0: "FP32", 1: "TF32", 2: "3xTF32"}
KERNELS = {"conv_fwd_kernel": "fwd", "conv_bwd_data_kernel": "bwdd", "conv_bwd_filter_kernel": "bwdf"}
BK = 16
WARPS = 8
LARGE_MIN_BLOCKS = 66   # conv.cu kLargeMinBlocks (the GPU build)
TAPS = 15               # conv.cu kMaxTaps: larger filters are not tiled


def compile_sources(src_root, arch):
    conv = os.path.join(src_root, "native", "conv.cu")
    inc = ["-I" + os.path.join(src_root, "native", d) for d in ("include", "src", "")]
    with tempfile.TemporaryDirectory() as tmp:
        ptx = os.path.join(tmp, "conv.ptx")
        base = ["nvcc", "-O3", "-std=c++17", "-arch=" + arch] + inc
        subprocess.run(base + ["--ptx", conv, "-o", ptx], check=True)
        rep = subprocess.run(base + ["-cubin", "-Xptxas", "-v", conv, "-o", os.path.join(tmp, "conv.cubin")],
                             check=True, capture_output=True, text=True)
        return open(ptx).read(), rep.stdout + rep.stderr


def resources(report):
    """{mangled entry: (registers, smem bytes, spill bytes)} from ptxas -v."""
    out, cur = {}, None
    for line in report.splitlines():
        m = re.search(r"Compiling entry function '(\S+)'", line)
        if m:
            cur = m.group(1)
            continue
        m = re.search(r"(\d+) bytes spill stores, (\d+) bytes spill loads", line)
        if m and cur:
            out.setdefault(cur, [0, 0, 0])[2] = int(m.group(1)) + int(m.group(2))
        m = re.search(r"Used (\d+) registers.*?(?:(\d+) bytes smem)?$", line)
        if m and cur:
            r = out.setdefault(cur, [0, 0, 0])
            r[0] = int(m.group(1))
            r[1] = int(m.group(2) or 0)
    return out


def entries(ptx):
    """{mangled entry: [instruction or label lines]}."""
    out = {}
    for m in re.finditer(r"\.entry (\S+)\((.*?)\n\}", ptx, re.S):
        body = []
        for line in m.group(2).splitlines():
            line = line.strip()
            if not line or line.startswith("//") or line.startswith("."):
                continue
            if line.startswith("{") or line.startswith("}"):
                continue
            body.append(line)
        out[m.group(1)] = body
    return out


LABEL = re.compile(r"^(\$L__\w+):$")
REG_MOVE = re.compile(r"^mov\.b?u?\d+\s+%\w+,\s*%(r|f|rd)\d+;")
# a 64-bit register from / into its two 32-bit halves (ptx.cuh pack64): a register pair in SASS
PAIR_MOVE = re.compile(r"^mov\.b64\s+(\{%r\d+,\s*%r\d+\},\s*%rd\d+|%rd\d+,\s*\{%r\d+,\s*%r\d+\});")
BRANCH = re.compile(r"^(@!?%p\d+\s+)?bra(\.uni)?\s+(\$L__\w+);")


def main_loop(lines):
    """(start, end) of the innermost loop that holds a bar.sync and the most mma / fma."""
    labels = {LABEL.match(l).group(1): i for i, l in enumerate(lines) if LABEL.match(l)}
    best = None
    for i, l in enumerate(lines):
        m = BRANCH.match(l)
        if not m or labels.get(m.group(3), i + 1) > i:
            continue
        s = labels[m.group(3)]
        body = lines[s:i + 1]
        if not any(x.startswith("bar.sync") for x in body):
            continue
        work = sum(1 for x in body if "mma.sync" in x or x.startswith("fma.rn.f32"))
        key = (work, -(i - s))
        if best is None or key > best[0]:
            best = (key, s, i)
    return best[1], best[2]


def opcode(line):
    return re.sub(r"^@!?%?\w+\s+", "", line).split()[0].rstrip(";")


def tail_ranges(lines, s, e):
    """Line ranges inside the loop of the partial last slice's loads (tile_gemm.cuh: load<true>),
    which the steady state skips: of an if / else inside the loop, the arm holding the predicated
    loads' setp.ne.b32 (ptx.cuh ldg_if) when the other arm has none."""
    labels = {LABEL.match(l).group(1): i for i, l in enumerate(lines) if LABEL.match(l)}
    has = lambda a, b: any(opcode(x) == "setp.ne.b32" for x in lines[a:b])
    ops = lambda a, b: sorted(opcode(x) for x in lines[a:b] if not LABEL.match(x) and not BRANCH.match(x))
    out = []
    for i in range(s, e):
        m = BRANCH.match(lines[i])
        if not m or m.group(1) or not LABEL.match(lines[i + 1]):
            continue
        j = labels.get(m.group(3), -1)
        if not i < j <= e:
            continue
        else_label = LABEL.match(lines[i + 1]).group(1)
        c = next((x for x in range(i - 1, s - 1, -1) if (BRANCH.match(lines[x]) or [None, None, None, None])[3] == else_label
                  and BRANCH.match(lines[x]).group(1)), None)
        if c is None:
            continue
        if has(i + 1, j) and not has(c + 1, i):
            out.append((i + 1, j))
        elif has(c + 1, i) and not has(i + 1, j):
            out.append((c + 1, i + 1))
        elif not has(i + 1, j) and not has(c + 1, i) and ops(c + 1, i) == ops(i + 1, j):
            out.append((i + 1, j))  # a loader whose tail is its steady state (ptxas duplicated it): once
    return out


def warp0_ranges(lines, s, e):
    """Line ranges inside the loop that only the table's 16 threads run: the innermost forward
    conditional branches that skip a region holding the table's divisions (mul.hi, FastDiv) and its
    int4 store (st.shared.v4). Innermost: the loop body runs two k-steps, the second one under a
    branch of its own (t + 1 < tiles) that holds the second table update."""
    labels = {LABEL.match(l).group(1): i for i, l in enumerate(lines) if LABEL.match(l)}
    cand = []
    for i in range(s, e):
        m = BRANCH.match(lines[i])
        if not m or not m.group(1):
            continue
        t = labels.get(m.group(3), -1)
        body = lines[i + 1:t]
        if i < t <= e and any(opcode(x).startswith("st.shared.v4") for x in body) \
                and any(opcode(x).startswith("mul.hi") for x in body):
            cand.append((i + 1, t))
    return sorted(r for r in cand if not any(o != r and r[0] <= o[0] and o[1] <= r[1] for o in cand))


def count(lines, s, e):
    w0 = warp0_ranges(lines, s, e)
    tails = tail_ranges(lines, s, e)
    c = {"mma": 0.0, "ffma": 0.0, "lds": 0.0, "sts": 0.0, "ldg": 0.0, "cvt": 0.0, "other": 0.0, "table": 0.0}
    for i in range(s, e + 1):
        l = lines[i]
        if LABEL.match(l):
            continue
        if any(a <= i < b for a, b in tails):
            continue
        weight = 1.0 / WARPS if any(a <= i < b for a, b in w0) else 1.0
        op = opcode(l)
        if REG_MOVE.match(l) or PAIR_MOVE.match(l):
            continue  # a register rename: ptxas coalesces it, no SASS instruction
        if op.startswith("mma.sync"):
            k = "mma"
        elif op.startswith("fma.rn.f32"):
            k = "ffma"
        elif op.startswith("ld.shared"):
            k = "lds"
        elif op.startswith("st.shared"):
            k = "sts"
        elif op.startswith("ld.global"):
            k = "ldg"
        elif op.startswith("cvt.rna.tf32"):
            k = "cvt"
        else:
            k = "other"
        c[k] += weight
        if weight < 1:
            c["table"] += weight
    # one barrier per k-step: the loop body may run several steps (tile_gemm.cuh runs two)
    steps = sum(1 for i in range(s, e + 1) if lines[i].startswith("bar.sync")) or 1
    for k in c:
        c[k] /= steps
    c["total"] = sum(v for k, v in c.items() if k != "table")
    return c


def blocks_per_sm(regs, smem):
    by_regs = 65536 // (WARPS * 32 * (-(-max(regs, 1) // 8) * 8))
    by_smem = (228 * 1024) // (smem + 1024)
    return min(by_regs, by_smem, 2048 // (WARPS * 32), 32)


def analyse(src_root, arch):
    ptx, rep = compile_sources(src_root, arch)
    res = resources(rep)
    out = {}
    for name, lines in entries(ptx).items():
        for kern, op in KERNELS.items():
            m = re.search(kern + r"ILi(\d)ELi(\d+)ELi(\d+)EE", name)
            if not m:
                m = re.search(kern + r"ILi(\d)EE", name)  # before the tile sizes were parameters: 64 x 64
                if not m:
                    continue
            tile = (int(m.group(2)), int(m.group(3))) if m.lastindex >= 3 else (64, 64)
            s, e = main_loop(lines)
            c = count(lines, s, e)
            regs, smem, spill = res.get(name, (0, 0, 0))
            out[(op, int(m.group(1)), tile)] = dict(c, regs=regs, smem=smem, spill=spill, blocks=blocks_per_sm(regs, smem))
    return out


# ---- floors at the model shapes (the host's tile, phase and split-K plans, as conv.cu) ----------

def plan(op, n, c, h, k, r, st, pad, allow_large=True):
    """(tile, block-steps) of the tiled kernel as conv.cu's host code plans it (tile 128 or 64; a
    block-step = one block's 16-deep k-slice); None where the narrow kernel runs."""
    oh = (h + 2 * pad - r) // st + 1
    cd = lambda a, b: -(-a // b)
    large = lambda m, nn, blocks: allow_large and m > 64 and nn > 64 and blocks >= LARGE_MIN_BLOCKS
    if op == "fwd":
        if k <= 8:
            return None
        m = n * oh * oh
        t = 128 if large(m, k, cd(m, 128) * cd(k, 128)) else 64
        return t, cd(m, t) * cd(k, t) * cd(c * r * r, BK)
    if op == "bwdd":
        if c <= 8:
            return None
        phases = []
        for z in range(st * st):
            ph, pw = divmod(z, st)
            h0, w0 = (ph - pad) % st, (pw - pad) % st
            hq = cd(h - h0, st) if h0 < h else 0
            wq = cd(h - w0, st) if w0 < h else 0
            rh = cd(r - ph, st) if ph < r else 0
            rw = cd(r - pw, st) if pw < r else 0
            phases.append((n * hq * wq, k * rh * rw))
        max_m = max(m for m, _ in phases)
        t = 128 if large(max_m, c, cd(max_m, 128) * cd(c, 128) * len(phases)) else 64
        return t, sum(cd(m, t) * cd(c, t) * cd(kd, BK) for m, kd in phases)
    if k <= 8:
        return None
    kd, nn = n * oh * oh, c * r * r
    t = 128 if large(k, nn, LARGE_MIN_BLOCKS) else 64
    tiles = cd(k, t) * cd(nn, t)
    splits = min(cd(264 if t == 128 else 528, tiles), cd(kd, 16 * BK), 1024)
    per = cd(cd(kd, splits), BK) * BK
    splits = cd(kd, per)
    return t, tiles * splits * (per // BK)  # the last split's shorter tail counted in full: upper bound


def floor_us(slices, k, sms, ghz):
    n = k["total"]
    clocks = max(WARPS * n / 4.0, WARPS * k["mma"])
    return slices * clocks / (sms * ghz * 1e3)


def load_shapes():
    sys.path.insert(0, os.path.join(ROOT, "benchmarks", "reference"))
    import shapes  # noqa: E402
    return shapes


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rev", help="analyse native/ of this git revision instead of the working tree")
    ap.add_argument("--src", help="analyse native/ under this directory instead of the working tree")
    ap.add_argument("--arch", default="sm_90a")
    ap.add_argument("--floors", action="store_true", help="print the floor table at the model shapes")
    ap.add_argument("--sms", type=int, default=132)
    ap.add_argument("--ghz", type=float, default=1.755)
    a = ap.parse_args()
    if a.rev:
        with tempfile.TemporaryDirectory() as tmp:
            arch = subprocess.run(["git", "-C", ROOT, "archive", a.rev, "native"], check=True, capture_output=True)
            subprocess.run(["tar", "-x", "-C", tmp], input=arch.stdout, check=True)
            res = analyse(tmp, a.arch)
    else:
        res = analyse(a.src or ROOT, a.arch)
    print(f"# issue model of conv.cu ({a.rev or 'working tree'}, {a.arch}): per warp and 16-deep k-slice of the main loop")
    print("| kernel | tile | mode | instr | mma | FFMA | LDS | STS | LDG | cvt | other | of it table (1/8) "
          "| other per MMA | FFMA share | regs | smem B | spill B | blocks/SM |")
    print("| --- " * 18 + "|")
    for (op, mode, tile), k in sorted(res.items()):
        per = f"{(k['total'] - k['mma']) / k['mma']:.1f}" if k["mma"] else "-"
        share = f"{100 * k['ffma'] / k['total']:.0f}%" if mode == 0 else "-"
        print(f"| {op} | {tile[0]}x{tile[1]} | {MODES[mode]} | {k['total']:.0f} | {k['mma']:.0f} | {k['ffma']:.0f} | {k['lds']:.0f} | "
              f"{k['sts']:.0f} | {k['ldg']:.0f} | {k['cvt']:.0f} | {k['other']:.0f} | {k['table']:.1f} | {per} | "
              f"{share} | {k['regs']} | {k['smem']} | {k['spill']} | {k['blocks']} |")
    if not a.floors:
        return
    shapes = load_shapes()
    print(f"\n# floors (us) at the model shapes: {a.sms} SMs at {a.ghz} GHz, 4 issues + 1 TF32 MMA per SM-clock;"
          " L = the large 128x128 tile, S = the small 64x64")
    print("| shape | fwd FP32 | fwd TF32 | bwdd FP32 | bwdd TF32 | bwdf FP32 | bwdf TF32 |")
    print("| --- " * 7 + "|")
    for shape in shapes.CONV_SHAPES:
        cc = shapes.conv_case(shape)
        row = []
        for op in ("fwd", "bwdd", "bwdf"):
            pl = plan(op, cc["n"], cc["cin"], cc["h"], cc["cout"], cc["k"], cc["stride"], cc["pad"])
            for mode in (0, 1):
                if pl is None:
                    row.append("narrow")
                    continue
                tile, sl = pl
                key = (op, mode, (tile, tile)) if (op, mode, (tile, tile)) in res else (op, mode, (64, 64))
                if key[2][0] != tile:  # --rev before the large tile
                    tile, sl = 64, plan_small(op, cc)
                row.append(f"{floor_us(sl, res[key], a.sms, a.ghz):.1f} {'L' if tile == 128 else 'S'}")
        print(f"| {shape} | " + " | ".join(row) + " |")


def plan_small(op, cc):
    """Block-steps with the 64 x 64 tile only (the kernels before the large tile; the split-K plan
    then targeted 528 slots as today's small tile does)."""
    return plan(op, cc["n"], cc["cin"], cc["h"], cc["cout"], cc["k"], cc["stride"], cc["pad"], allow_large=False)[1]


if __name__ == "__main__":
    main()
