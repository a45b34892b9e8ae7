"""A Genten checkpoint in PyTorch: loads a VAE checkpoint written by `genten train vae` into the
PyTorch ConvVAE of models.py (strict names; only BatchNorm's num_batches_tracked, which the
safetensors files leave out, may be missing), reconstructs the first 32 embedded digits in eval
mode, and compares with the reconstructions Genten drew into reconstructions.png (8-bit, so equal
within one gray level).

usage: python3 benchmarks/reference/check_interop.py out/vae   (the --out folder of genten train vae)

The extra models (issue 12) go the same way, by the checkpoint found in the folder: mlpgan, lsgan
and cgan load into extra_models.py's modules and redraw samples.png from the same noise (philox.py
reproduces Genten's Philox z of seed + 1; cgan's labels are row d = digit d); vae2d redraws
reconstructions.png. e.g. python3 benchmarks/reference/check_interop.py out/cgan
"""
import gzip
import json
import os
import struct
import sys
import zlib

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models import ConvVAE  # noqa: E402
import extra_models  # noqa: E402
import philox  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIGITS = os.path.join(ROOT, "src/main/resources/io/genten/data/mnist-10k/images-idx3-ubyte.gz")
PAD, TILE, COLUMNS = 2, 28, 8  # io.genten.io.PngGrid's layout


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", name
        begin, end = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"]).copy())
    return out, header.get("__metadata__", {})


def read_gray_png(path):
    """8-bit grayscale, non-interlaced PNG (what javax.imageio writes for TYPE_BYTE_GRAY)."""
    with open(path, "rb") as f:
        raw = f.read()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(raw):
        length, kind = struct.unpack(">I4s", raw[pos:pos + 8])
        body = raw[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and color == 0 and interlace == 0, (depth, color, interlace)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    rows = zlib.decompress(idat)
    img = np.zeros((height, width), dtype=np.int32)
    prev = np.zeros(width, dtype=np.int32)
    for y in range(height):
        line = rows[y * (width + 1):(y + 1) * (width + 1)]
        ftype, cur = line[0], np.frombuffer(line[1:], dtype=np.uint8).astype(np.int32)
        out = np.zeros(width, dtype=np.int32)
        for x in range(width):
            a = out[x - 1] if x > 0 else 0
            b = prev[x]
            c = prev[x - 1] if x > 0 else 0
            if ftype == 0:
                pred = 0
            elif ftype == 1:
                pred = a
            elif ftype == 2:
                pred = b
            elif ftype == 3:
                pred = (a + b) // 2
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            out[x] = (cur[x] + pred) & 0xFF
        img[y], prev = out, out
    return img


def to_gray(values, lo, hi):
    """io.genten.io.PngGrid's mapping: round(255 (v - lo) / (hi - lo)), clamped."""
    return np.clip(np.round((values - lo) * (255.0 / (hi - lo))), 0, 255).astype(np.int32)


def tile_diffs(grid, expected, first, columns):
    """|grid tile - expected| for tiles first, first + 1, ... (expected: (n, 28, 28) gray levels)."""
    diffs = []
    for i in range(expected.shape[0]):
        r, c = divmod(first + i, columns)
        y0, x0 = PAD + r * (TILE + PAD), PAD + c * (TILE + PAD)
        diffs.append(np.abs(grid[y0:y0 + TILE, x0:x0 + TILE] - expected[i]))
    return np.stack(diffs)


def load_strict(model, state):
    result = model.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if not k.endswith("num_batches_tracked")]
    assert not missing and not result.unexpected_keys, (missing, result.unexpected_keys)
    return len(result.missing_keys)


def first_digits(n):
    with gzip.open(DIGITS, "rb") as f:
        f.read(16)
        return np.frombuffer(f.read(n * 28 * 28), dtype=np.uint8).reshape(n, 1, 28, 28).astype(np.float32) / 255.0


def check_extra(folder, kind):
    """mlpgan / lsgan / cgan: samples.png from the same z; vae2d: reconstructions.png."""
    state, meta = read_safetensors(os.path.join(folder, kind + ".safetensors"))
    seed = int(meta.get("seed", "42"))
    model = {"mlpgan": extra_models.MlpGan, "lsgan": extra_models.MlpGan.deep,
             "cgan": extra_models.ConditionalDCGAN, "vae2d": extra_models.DenseVAE}[kind]()
    skipped = load_strict(model, state)
    model.eval()
    with torch.no_grad():
        if kind == "vae2d":
            mu, _ = model.encode(torch.from_numpy(first_digits(32)))
            ours = to_gray(torch.sigmoid(model.decode(mu)).numpy()[:, 0], 0.0, 1.0)
            first, columns, png = 32, 8, "reconstructions.png"
        elif kind == "cgan":
            z = torch.from_numpy(philox.randn(seed + 1, 0, (100, 100)))
            labels = torch.arange(100) // 10
            ours = to_gray(model.generator(z, labels).numpy()[:, 0], -1.0, 1.0)
            first, columns, png = 0, 10, "samples.png"
        else:
            z = torch.from_numpy(philox.randn(seed + 1, 0, (64, 100)))
            lo = -1.0 if kind == "lsgan" else 0.0
            ours = to_gray(model.generator(z).numpy()[:, 0], lo, 1.0)
            first, columns, png = 0, 8, "samples.png"
    d = tile_diffs(read_gray_png(os.path.join(folder, png)), ours, first, columns)
    print(f"checkpoint {folder}/{kind}.safetensors: {len(state)} tensors loaded into PyTorch {torch.__version__}'s "
          f"{type(model).__name__} (missing only {skipped} num_batches_tracked)")
    print(f"{png} redrawn by PyTorch vs Genten's: max |diff| {d.max()} gray levels, {(d > 0).mean() * 100:.3f}% of pixels differ")
    return 0 if d.max() <= 1 else 1


def main(folder):
    for kind in ("mlpgan", "lsgan", "cgan", "vae2d"):
        if os.path.isfile(os.path.join(folder, kind + ".safetensors")):
            return check_extra(folder, kind)
    state, meta = read_safetensors(os.path.join(folder, "vae.safetensors"))
    model = ConvVAE()
    result = model.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if not k.endswith("num_batches_tracked")]
    assert not missing and not result.unexpected_keys, (missing, result.unexpected_keys)
    model.eval()
    with gzip.open(DIGITS, "rb") as f:
        f.read(16)
        x = np.frombuffer(f.read(32 * 28 * 28), dtype=np.uint8).reshape(32, 1, 28, 28)
    with torch.no_grad():
        mu, _ = model.encode(torch.from_numpy(x.astype(np.float32) / 255.0))
        rec = torch.sigmoid(model.decode(mu)).numpy()
    ours = np.clip(np.round(rec * 255.0), 0, 255).astype(np.int32)
    grid = read_gray_png(os.path.join(folder, "reconstructions.png"))
    diffs = []
    for i in range(32):
        t = 32 + i  # the reconstructions follow the 32 inputs
        r, c = divmod(t, COLUMNS)
        y0, x0 = PAD + r * (TILE + PAD), PAD + c * (TILE + PAD)
        diffs.append(np.abs(grid[y0:y0 + TILE, x0:x0 + TILE] - ours[i, 0]))
    d = np.stack(diffs)
    print(f"checkpoint {folder}/vae.safetensors ({meta.get('model')}, genten {meta.get('genten.version')}): "
          f"{len(state)} tensors loaded into PyTorch {torch.__version__}'s ConvVAE (missing only {len(result.missing_keys)} num_batches_tracked)")
    print(f"eval reconstructions of 32 digits vs Genten's PNG: max |diff| {d.max()} gray levels, "
          f"{(d > 0).mean() * 100:.3f}% of pixels differ")
    return 0 if d.max() <= 1 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "out/vae"))
