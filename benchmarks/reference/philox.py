"""Genten's random numbers in numpy: Philox4x32-10 keyed by (seed, offset) with the same counter
layout, uniform and Box-Muller as io.genten.tensor.Philox, so a Python script can draw the noise
a Genten model drew (e.g. the z of `genten train`'s samples.png). Checked against the Java
generator by `python3 philox.py --check VALUES...` (see check_interop.py)."""
import numpy as np

M0, M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
W0, W1 = 0x9E3779B9, 0xBB67AE85
MASK = np.uint64(0xFFFFFFFF)


def words(seed, offset, blocks):
    """The 4 * blocks random words of blocks 0..blocks-1 of stream (seed, offset), element order."""
    b = np.arange(blocks, dtype=np.uint64)
    c0, c1 = b & MASK, b >> np.uint64(32)
    c2 = np.full(blocks, offset & 0xFFFFFFFF, dtype=np.uint64)
    c3 = np.full(blocks, (offset >> 32) & 0xFFFFFFFF, dtype=np.uint64)
    k0, k1 = seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF
    for r in range(10):
        if r > 0:
            k0, k1 = (k0 + W0) & 0xFFFFFFFF, (k1 + W1) & 0xFFFFFFFF
        p0, p1 = M0 * c0, M1 * c2
        n0 = (p1 >> np.uint64(32)) ^ c1 ^ np.uint64(k0)
        n2 = (p0 >> np.uint64(32)) ^ c3 ^ np.uint64(k1)
        c0, c1, c2, c3 = n0, p1 & MASK, n2, p0 & MASK
    return np.stack([c0, c1, c2, c3], axis=1).reshape(-1)


def randn(seed, offset, shape):
    """Standard normals as Genten's backend.randn(shape, seed, offset), float32."""
    n = int(np.prod(shape))
    blocks = (n + 3) // 4
    w = words(seed & 0xFFFFFFFFFFFFFFFF, offset & 0xFFFFFFFFFFFFFFFF, blocks).reshape(blocks, 4)
    a = ((w[:, [0, 2]] >> np.uint64(8)).astype(np.float64) + 1.0) * 2.0 ** -24
    b = (w[:, [1, 3]] >> np.uint64(8)).astype(np.float64) * 2.0 ** -24
    r, theta = np.sqrt(-2.0 * np.log(a)), 2.0 * np.pi * b
    out = np.empty((blocks, 4), dtype=np.float64)
    out[:, 0], out[:, 1] = r[:, 0] * np.cos(theta[:, 0]), r[:, 0] * np.sin(theta[:, 0])
    out[:, 2], out[:, 3] = r[:, 1] * np.cos(theta[:, 1]), r[:, 1] * np.sin(theta[:, 1])
    return out.reshape(-1)[:n].astype(np.float32).reshape(shape)


if __name__ == "__main__":
    import sys
    seed, offset, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    print(" ".join(repr(float(v)) for v in randn(seed, offset, (n,))))
