# Emulates Map/stage, compute_fp32, compute_mma (m16n8k8 fragment layouts) and acc_coord for one
# 64x64x16 tile of src/tile_gemm.cuh and checks the scattered result equals A @ B; FP32 with the
# k-major [k][72] slices, tensor cores with the fragment-ordered, swizzled slices (a_frag_word,
# b_frag_word, stage_base + stage_delta, mma_a_base / mma_b_base + immediates). Also counts the
# shared-memory bank conflicts of every warp's stores and fragment reads (the ways of the worst
# bank per hardware phase: 32 lanes for 32-bit, 16 for 64-bit, 8 for 128-bit accesses).
import numpy as np
rng = np.random.default_rng(0)
A = rng.standard_normal((64,16)); B = rng.standard_normal((16,64))
def mapk(mfast, tid, j): return (tid>>6)+4*j if mfast else (tid&15)
def mapm(mfast, tid, j): return (tid&63) if mfast else (tid>>4)+16*j
LDS = 68  # tile_gemm.cuh
def a_word(k, m):
    chunk = ((k>>3)*4 + (m>>4))*32 + (m&7)*4 + (k&3)
    return (chunk ^ (chunk>>3 & 3))*4 + (m>>3 & 1) + 2*(k>>2 & 1)
def b_word(k, n): return (k>>3)*528 + (n>>3)*66 + ((n&7)*4 + (k&3))*2 + (k>>2 & 1)
def word(mode, is_a, k, m): return k*LDS + m if mode == 0 else (a_word(k, m) if is_a else b_word(k, m))
def delta(mode, mfast, is_a, j):
    if mode == 0: return 4*j*LDS if mfast else 16*j
    if is_a: return (j>>1)*512 + (j&1)*2 if mfast else 128*j
    return (j>>1)*528 + (j&1) if mfast else 132*j
def ways(addrs, width):  # addrs: word address per lane; width in words (1, 2, 4)
    per_phase = 32 // width
    worst = 1
    for ph in range(0, 32, per_phase):
        banks = {}
        for a in addrs[ph:ph+per_phase]:
            for w in range(width): banks.setdefault((a + w) % 32, set()).add((a + w) // 32)
        worst = max(worst, max(len(v) for v in banks.values()))
    return worst
conflicts = {}
for mode in (0, 1):
    for is_a in (True, False):
        for mf in (True, False):
            seen = set()
            for tid in range(256):
                base = word(mode, is_a, mapk(mf, tid, 0), mapm(mf, tid, 0))
                for j in range(4):
                    at = word(mode, is_a, mapk(mf, tid, j), mapm(mf, tid, j))
                    assert at == base + delta(mode, mf, is_a, j), (mode, is_a, mf, tid, j)
                    assert at < 16*LDS and at not in seen; seen.add(at)
            for j in range(4):
                w = max(ways([word(mode, is_a, mapk(mf, wp*32+l, j), mapm(mf, wp*32+l, j)) for l in range(32)], 1)
                        for wp in range(8))
                conflicts[("fp32" if mode == 0 else "mma", "A" if is_a else "B", "M-fast" if mf else "K-fast")] = w
for wp in range(8):
    wm, wn = wp&1, wp>>1
    a_rd = [(wm*64 + (l ^ (l>>3 & 3)))*4 for l in range(32)]
    b_rd = [(wn*2)*66 + l*2 for l in range(32)]
    for ks in range(2):
        for i in range(2):
            conflicts[("mma", "A", "read")] = max(conflicts.get(("mma", "A", "read"), 1), ways([x + (ks*4+i)*128 for x in a_rd], 4))
            conflicts[("mma", "B", "read")] = max(conflicts.get(("mma", "B", "read"), 1), ways([x + ks*528 + i*66 for x in b_rd], 2))
for key, w in sorted(conflicts.items()): print("bank conflicts %-6s %s %-7s %d-way" % (key + (w,)))
assert conflicts[("mma", "A", "read")] == 1 and conflicts[("mma", "B", "read")] == 1
assert conflicts[("mma", "B", "K-fast")] == 1 and max(conflicts.values()) <= 2
for amf, bmf in ((True,False),(False,False)):
    sa = np.full((16,LDS), np.nan); sb = np.full((16,LDS), np.nan)
    for tid in range(256):
        for j in range(4):
            k, m = mapk(amf,tid,j), mapm(amf,tid,j); sa[k,m] = A[m,k]
            k, n = mapk(bmf,tid,j), mapm(bmf,tid,j); sb[k,n] = B[k,n]
    assert not np.isnan(sa[:,:64]).any() and not np.isnan(sb[:,:64]).any()
    fa = np.full(16*LDS, np.nan); fb = np.full(16*LDS, np.nan)  # fragment-ordered slices
    for k in range(16):
        for m in range(64): fa[a_word(k, m)] = A[m, k]; fb[b_word(k, m)] = B[k, m]
    for mode in (0,1):
        C = np.full((64,64), np.nan)
        for tid in range(256):
            acc = np.zeros(16)
            if mode == 0:
                tm, tn = tid&15, tid>>4
                for kk in range(16):
                    for i in range(4):
                        for j in range(4): acc[i*4+j] += sa[kk,tm*4+i]*sb[kk,tn*4+j]
            else:
                warp, lane = tid>>5, tid&31; wm, wn, g, t = warp&1, warp>>1, lane>>2, lane&3
                for ks in (0,8):
                    for mi in range(2):
                        for ni in range(2):
                            # mma semantics: D[row][col] += sum_k Afrag[row][k] * Bfrag[k][col] over the whole warp;
                            # reconstruct the warp's 16x8x8 operands from every lane's fragment loads
                            Aw = np.full((16,8), np.nan); Bw = np.full((8,8), np.nan)
                            for ln in range(32):
                                gg, tt = ln>>2, ln&3
                                at = (wm*64 + (ln ^ (ln>>3 & 3)))*4 + (ks//8*4 + mi)*128  # one LDS.128
                                Aw[gg,tt], Aw[gg+8,tt], Aw[gg,tt+4], Aw[gg+8,tt+4] = fa[at:at+4]
                                bt = (wn*2)*66 + ln*2 + ks//8*528 + ni*66                  # one LDS.64
                                Bw[tt,gg], Bw[tt+4,gg] = fb[bt:bt+2]
                            D = Aw@Bw
                            for q in range(4):  # this lane's accumulator fragment
                                acc[(mi*2+ni)*4+q] += D[g+(8 if q&2 else 0), 2*t+(q&1)]
            for e in range(16):
                if mode == 0: ml, nl = (tid&15)*4+(e>>2), (tid>>4)*4+(e&3)
                else:
                    warp, lane = tid>>5, tid&31; frag, q = e>>2, e&3; mi, ni = frag>>1, frag&1
                    ml = (warp&1)*32+mi*16+(lane>>2)+(8 if q&2 else 0); nl = (warp>>1)*16+ni*8+(lane&3)*2+(q&1)
                assert np.isnan(C[ml,nl]); C[ml,nl] = acc[e]
        assert np.allclose(C, A@B), (amf, mode)
print("tile mapping ok")
