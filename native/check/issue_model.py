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
the larger of block-slices * that / SMs (the grid's issue spread evenly) and the busiest SM's
ceil(blocks / SMs) blocks one after another (a grid under one wave is as slow as its longest
block), over the clock; latency, memory and occupancy are ignored, so the real time is above it.
The host's tile rule (conv.cu choose_tile) is this model with the per-slice clocks of its table
kSliceClocks, which the script prints beside the clocks it counts; forward's and backward-data's
split-K (conv.cu choose_splits) adds the reduce's cost (2.5 us plus splits x outputs x 8 bytes at
4.8 TB/s) to a split plan's time, and --floors prints the split count beside the tile (/n).
PTX, not SASS (no cuobjdump here): ptxas removes some moves and folds some address arithmetic, so
the counts are an upper estimate of the SASS loop;
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
LARGE_MIN_BLOCKS = 66   # round 2's conv.cu kLargeMinBlocks (the GPU build), for --rev before the wide tile
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


def dynamic_smem(mode, tile):
    """Dynamic shared memory bytes of a kernel (tile_gemm.cuh stages / dynamic_smem_bytes): the large
    3xTF32 tile's 3 stages of A (16 x 128 words) and B (2 x 16 x 66 words) and 3 table slices; else 0
    (ptxas reports static shared memory only)."""
    if mode != 2 or tile != (128, 128):
        return 0
    return (3 * (16 * 128 + 2 * (128 // 8 * 66)) + 3 * 16 * 4) * 4


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
            if smem < 1024:  # a 3-stage kernel (revisions before it: static shared memory only)
                smem += dynamic_smem(int(m.group(1)), tile)
            out[(op, int(m.group(1)), tile)] = dict(c, regs=regs, smem=smem, spill=spill, blocks=blocks_per_sm(regs, smem))
    return out


# ---- floors at the model shapes (the host's tile, phase and split-K plans, as conv.cu) ----------

TILES = {0: "S", 1: "W", 2: "L"}  # conv.cu enum Tile: small 64x64, wide, large 128x128


def tile_sides(op, t):
    """(BM, BN) of tile t: the wide tile is 128 x 64 in forward and backward-data, 64 x 128 in
    backward-filter (conv.cu tile_bm / tile_bn)."""
    if t == 0:
        return 64, 64
    if t == 2:
        return 128, 128
    return (64, 128) if op == "bwdf" else (128, 64)


def slice_clocks_table(src_root):
    """conv.cu's kSliceClocks [mode][tile], or None before the wide tile (round 2's rule)."""
    src = open(os.path.join(src_root, "native", "conv.cu")).read()
    m = re.search(r"kSliceClocks\[3\]\[3\] = \{(.*?)\n\};", src, re.S)
    if not m:
        return None
    rows = re.findall(r"\{(\d+), (\d+), (\d+)\}", m.group(1))
    return [[int(v) for v in r] for r in rows]


# conv.cu's split-K of forward and backward-data: the reduce's launch (2.5 us) and the workspace
# traffic (splits x outputs x 4 bytes written and read back at 4.8 TB/s) in SM-clocks at 1.755 GHz,
# at least 8 k-slices per split, at most 64 splits, searched over 132 SMs in every build
SPLIT_GHZ = 1.755
REDUCE_CLOCKS = 2.5e3 * SPLIT_GHZ
BYTES_PER_CLOCK = 4.8e3 / SPLIT_GHZ
MIN_SPLIT_SLICES = 8
MAX_SPLITS = 64
SPLIT_SMS = 132


def cd(a, b):
    return -(-a // b)


def split_extra(splits, outputs):
    return REDUCE_CLOCKS + 2.0 * splits * outputs * 4.0 / BYTES_PER_CLOCK if splits > 1 else 0.0


def split_depth(kd, s):
    return cd(cd(kd, s), BK) * BK


def split_count(kd, s):
    d = split_depth(kd, s)
    return cd(kd, d) if d > 0 else 1


def phases(n, c, h, k, r, st, pad):
    """[(positions M, reduction depth Kd)] of backward-data's stride phases (conv.cu make_phase)."""
    out = []
    for z in range(st * st):
        ph, pw = divmod(z, st)
        h0, w0 = (ph - pad) % st, (pw - pad) % st
        hq = cd(h - h0, st) if h0 < h else 0
        wq = cd(h - w0, st) if w0 < h else 0
        rh = cd(r - ph, st) if ph < r else 0
        rw = cd(r - pw, st) if pw < r else 0
        out.append((n * hq * wq, k * rh * rw))
    return out


def work(op, t, n, c, h, k, r, st, pad, search_splits=True, splits=1):
    """(blocks, block-slices, most slices of one block, extra SM-clocks of the split plan) of tile t's
    grid, as conv.cu plans it; forward and backward-data with `splits` splits (rounded as conv.cu)."""
    oh = (h + 2 * pad - r) // st + 1
    bm, bn = tile_sides(op, t)
    if op == "fwd":
        kd = c * r * r
        s = split_count(kd, splits)
        tiles = cd(n * oh * oh, bm) * cd(k, bn)
        return tiles * s, tiles * cd(kd, BK), split_depth(kd, s) // BK, split_extra(s, n * k * oh * oh)
    if op == "bwdd":
        phs = phases(n, c, h, k, r, st, pad)
        s = max([1] + [split_count(kd, splits) for m, kd in phs if m > 0])
        blocks = sl = mx = 0
        for m, kd in phs:
            b, ks = cd(m, bm) * cd(c, bn), cd(kd, BK)
            blocks, sl = blocks + b * s, sl + b * ks
            if b > 0:
                mx = max(mx, min(ks, split_depth(kd, s) // BK))
        return blocks, sl, mx, split_extra(s, n * c * h * h)
    kd, nn = n * oh * oh, c * r * r
    tiles = cd(k, bm) * cd(nn, bn)
    per_of = lambda s: cd(cd(kd, s), BK) * BK
    max_splits = min(cd(kd, 16 * BK), 1024)
    splits = max(1, min(cd(264 if t else 528, tiles), max_splits))
    if search_splits:  # conv.cu split_plan: the split count of least model time up to 2x that
        best = None
        for s in range(1, min(2 * splits, max_splits) + 1):
            if cd(kd, per_of(s)) != s:
                continue
            v = model_clocks(1.0, (tiles * s, tiles * cd(kd, BK), per_of(s) // BK, 0.0), 132)
            if best is None or v < best:
                best, splits = v, s
    per = per_of(splits)
    splits = cd(kd, per)
    return tiles * splits, tiles * cd(kd, BK), per // BK, 0.0  # the splits add up to the whole reduction


def model_clocks(c, w, sms):
    """conv.cu model_clocks: the grid's issue spread over the SMs, or the busiest SM's blocks, plus what
    a split plan adds after the grid."""
    blocks, sl, mx, extra = w
    return max(sl * c / sms, -(-blocks // sms) * mx * c) + extra


def choose_splits(op, t, shape, clocks, mode):
    """conv.cu choose_splits: forward's and backward-data's split count for tile t (1: unsplit)."""
    n, c, h, k, r, st, pad = shape
    if op == "fwd":
        ks_max = cd(c * r * r, BK)
    else:
        ks_max = max([0] + [cd(kd, BK) for m, kd in phases(*shape) if m > 0])
    best, best_t = 1, model_clocks(clocks[mode][t], work(op, t, *shape), SPLIT_SMS)
    for s in range(2, min(MAX_SPLITS, ks_max // MIN_SPLIT_SLICES) + 1):
        v = model_clocks(clocks[mode][t], work(op, t, *shape, splits=s), SPLIT_SMS)
        if v < best_t:
            best, best_t = s, v
    w = work(op, t, *shape, splits=best)
    return w, (split_count(c * r * r, best) if op == "fwd" else
               max([1] + [split_count(kd, best) for m, kd in phases(*shape) if m > 0]))


def plan(op, n, c, h, k, r, st, pad, clocks=None, mode=1, sms=132, fb_splits=True):
    """(tile, work, splits) of the tiled kernel as conv.cu's host code plans it; None where the narrow
    kernel runs. clocks = conv.cu's kSliceClocks (the rule of least model time), None: round 2's rule
    (the large tile where both sides exceed 64 and, outside backward-filter, it has 66 blocks).
    fb_splits: forward and backward-data split-K (round 4); splits is 1 without it and in
    backward-filter (whose plan is in its work)."""
    oh = (h + 2 * pad - r) // st + 1
    if (op == "bwdd" and c <= 8) or (op != "bwdd" and k <= 8):
        return None
    if op == "fwd":
        long_side, short = n * oh * oh, k
    elif op == "bwdd":
        cd = lambda a, b: -(-a // b)
        long_side = max(n * (cd(h - (ph - pad) % st, st) if (ph - pad) % st < h else 0) *
                        (cd(h - (pw - pad) % st, st) if (pw - pad) % st < h else 0)
                        for ph in range(st) for pw in range(st))
        short = c
    else:
        long_side, short = c * r * r, k
    shape = (n, c, h, k, r, st, pad)
    split = fb_splits and clocks is not None and op != "bwdf"
    w = lambda t: (choose_splits(op, t, shape, clocks, mode) if split
                   else (work(op, t, n, c, h, k, r, st, pad, clocks is not None), 1))
    if clocks is None:
        large_blocks = -(-long_side // 128) * -(-short // 128) * (st * st if op == "bwdd" else 1)
        big = long_side > 64 and short > 64 and (op == "bwdf" or large_blocks >= LARGE_MIN_BLOCKS)
        return ((2 if big else 0),) + w(2 if big else 0)
    s = sms
    best, best_t = 0, model_clocks(clocks[mode][0], w(0)[0], s)
    for t in (1, 2):
        if long_side <= 64 or (t == 2 and short <= 64):
            continue
        v = model_clocks(clocks[mode][t], w(t)[0], s)
        if v <= best_t:
            best, best_t = t, v
    return (best,) + w(best)


def floor_us(wk, k, sms, ghz):
    """The model's time of a grid at this kernel's counts: the larger of its issue spread over the
    SMs and the busiest SM's (ceil(blocks / SMs) blocks one after another, issue-bound)."""
    clocks = max(WARPS * k["total"] / 4.0, WARPS * k["mma"])
    return model_clocks(clocks, wk, sms) / (ghz * 1e3)


def slice_clocks(k):
    return max(WARPS * k["total"] / 4.0, WARPS * k["mma"])


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
          "| other per MMA | FFMA share | regs | smem B (static + dynamic) | spill B | blocks/SM |")
    print("| --- " * 18 + "|")
    for (op, mode, tile), k in sorted(res.items()):
        per = f"{(k['total'] - k['mma']) / k['mma']:.1f}" if k["mma"] else "-"
        share = f"{100 * k['ffma'] / k['total']:.0f}%" if mode == 0 else "-"
        print(f"| {op} | {tile[0]}x{tile[1]} | {MODES[mode]} | {k['total']:.0f} | {k['mma']:.0f} | {k['ffma']:.0f} | {k['lds']:.0f} | "
              f"{k['sts']:.0f} | {k['ldg']:.0f} | {k['cvt']:.0f} | {k['other']:.0f} | {k['table']:.1f} | {per} | "
              f"{share} | {k['regs']} | {k['smem']} | {k['spill']} | {k['blocks']} |")
    clocks = slice_clocks_table(a.src or ROOT) if not a.rev else rev_clocks(a.rev)
    fb_splits = "GENTEN_CONV_SPLITS" in (open(os.path.join(a.src or ROOT, "native", "conv.cu")).read() if not a.rev
                                         else rev_source(a.rev))
    if clocks:
        print("\n# conv.cu kSliceClocks (the host's tile rule) against the counts above, SM-clocks per block and slice")
        print("| mode | tile | kSliceClocks | fwd | bwdd | bwdf |")
        print("| --- " * 6 + "|")
        for mode in range(3):
            for t in range(3):
                got = [res.get((op, mode, tile_sides(op, t))) for op in ("fwd", "bwdd", "bwdf")]
                cells = [f"{slice_clocks(g):.0f}" if g else "-" for g in got]
                print(f"| {MODES[mode]} | {TILES[t]} | {clocks[mode][t]} | " + " | ".join(cells) + " |")
    if not a.floors:
        return
    shapes = load_shapes()
    print(f"\n# floors (us) at the model shapes: {a.sms} SMs at {a.ghz} GHz, 4 issues + 1 TF32 MMA per SM-clock,"
          " the larger of the grid's issue spread over the SMs and the busiest SM's;"
          " S = the small 64x64 tile, W = the wide one (128x64, bwdf 64x128), L = the large 128x128"
          + ("; /n = forward or backward-data split-K in n, the reduce and its workspace traffic included"
             if fb_splits else ""))
    print("| shape | fwd FP32 | fwd TF32 | bwdd FP32 | bwdd TF32 | bwdf FP32 | bwdf TF32 |")
    print("| --- " * 7 + "|")
    for shape in shapes.CONV_SHAPES:
        cc = shapes.conv_case(shape)
        row = []
        for op in ("fwd", "bwdd", "bwdf"):
            for mode in (0, 1):
                pl = plan(op, cc["n"], cc["cin"], cc["h"], cc["cout"], cc["k"], cc["stride"], cc["pad"],
                          clocks, mode, a.sms, fb_splits)
                if pl is None:
                    row.append("narrow")
                    continue
                t, wk, splits = pl
                key = (op, mode, tile_sides(op, t))
                row.append(f"{floor_us(wk, res[key], a.sms, a.ghz):.1f} {TILES[t]}" + (f"/{splits}" if splits > 1 else ""))
        print(f"| {shape} | " + " | ".join(row) + " |")


def rev_source(rev):
    return subprocess.run(["git", "-C", ROOT, "show", f"{rev}:native/conv.cu"], check=True, capture_output=True,
                          text=True).stdout


def rev_clocks(rev):
    src = rev_source(rev)
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "native"))
        open(os.path.join(tmp, "native", "conv.cu"), "w").write(src)
        return slice_clocks_table(tmp)


if __name__ == "__main__":
    main()
