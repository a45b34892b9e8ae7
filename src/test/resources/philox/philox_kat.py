#!/usr/bin/env python3
"""Known answers for Genten's Philox streams, from an implementation independent of the Java code.

Written from the Random123 paper (Salmon et al., SC'11) and the stream contract in DESIGN.md /
io.genten.tensor.Philox's javadoc, not from the Java source:

- Philox4x32-10: 10 rounds; each round (hi0, lo0) = M0 * c0, (hi1, lo1) = M1 * c2 (32x32 -> 64 bit),
  c = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0); the key is bumped by (W0, W1) between rounds.
- stream (seed, offset): element i comes from block b = i // 4, lane i % 4, with
  counter = (lo(b), hi(b), lo(offset), hi(offset)) and key = (lo(seed), hi(seed)).
- uniform: (x >> 8) * 2^-24, a float32 in [0, 1).
- normal: Box-Muller in float64 on the word pairs (x0, x1) and (x2, x3) of a block:
  u1 = ((x0 >> 8) + 1) * 2^-24 in (0, 1], u2 = (x1 >> 8) * 2^-24, r = sqrt(-2 ln u1),
  theta = 2 pi u2; lanes 0 and 1 are float32(r cos theta), float32(r sin theta) (2, 3 alike).

Run: python3 philox_kat.py > philox_kat.txt  (any Python 3; no packages). PhiloxKnownAnswerTest
reads philox_kat.txt: lines "kind seed offset length index float32-bits-hex", seed and offset as
signed 64-bit decimals (Java longs).
"""
import math
import struct

MASK = 0xFFFFFFFF
M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85


def philox4x32_10(ctr, key):
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    for r in range(10):
        if r > 0:
            k0, k1 = (k0 + W0) & MASK, (k1 + W1) & MASK
        p0, p1 = M0 * c0, M1 * c2
        hi0, lo0 = p0 >> 32, p0 & MASK
        hi1, lo1 = p1 >> 32, p1 & MASK
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return c0, c1, c2, c3


# Random123's kat_vectors for philox4x32-10: the implementation must reproduce them first.
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8)),
    ((MASK,) * 4, (MASK, MASK), (0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd)),
    ((0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), (0xa4093822, 0x299f31d0),
     (0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1)),
]
for ctr, key, want in KAT:
    assert philox4x32_10(ctr, key) == want, (ctr, key)


def u64(x):
    return x & 0xFFFFFFFFFFFFFFFF


def block(seed, offset, b):
    s, o, b = u64(seed), u64(offset), u64(b)
    return philox4x32_10((b & MASK, b >> 32, o & MASK, o >> 32), (s & MASK, s >> 32))


def f32_bits(x):
    return struct.unpack('<I', struct.pack('<f', x))[0]


TWO_M24 = 2.0 ** -24


def uniform_bits(seed, offset, i):
    x = block(seed, offset, i // 4)[i % 4]
    return f32_bits((x >> 8) * TWO_M24)


def normal_bits(seed, offset, i):
    w = block(seed, offset, i // 4)
    lane = i % 4
    a, b = (w[0], w[1]) if lane < 2 else (w[2], w[3])
    u1 = ((a >> 8) + 1) * TWO_M24
    u2 = (b >> 8) * TWO_M24
    r = math.sqrt(-2.0 * math.log(u1))
    theta = 2.0 * math.pi * u2
    return f32_bits(r * math.cos(theta) if lane % 2 == 0 else r * math.sin(theta))


def signed(x):
    x = u64(x)
    return x - (1 << 64) if x >> 63 else x


CASES = [
    # (seed, offset, length, indices): short streams with a partial last block, keys and
    # offsets with high words set, and a long one across the Java side's parallel chunks.
    (0, 0, 23, range(23)),
    (42, 7, 23, range(23)),
    (0xDEADBEEFCAFEF00D, 0x1122334455667788, 23, range(23)),
    (-1, (1 << 32) + 3, 23, range(23)),
    (2024, 5, 2 * 16384 + 6, list(range(16380, 16392)) + list(range(32768, 32774))),
    (7, 3, 2 * 16384, [0, 16383, 16384, 32767]),  # exactly two of the Java side's chunks
    # u1 = 2^-24 exactly at element 8 (word 0x0000005a): Box-Muller's guard against log(0)
    (42, 89553, 12, range(12)),
]

GUARD = (42, 89553, 8)

if __name__ == '__main__':
    s, o, i = GUARD
    assert block(s, o, i // 4)[i % 4] >> 8 == 0, 'the guard case must hit u1 = 2^-24'
    for kind, fn in (('uniform', uniform_bits), ('normal', normal_bits)):
        for seed, offset, length, indices in CASES:
            for i in indices:
                print(kind, signed(seed), signed(offset), length, i, '%08x' % fn(seed, offset, i))
