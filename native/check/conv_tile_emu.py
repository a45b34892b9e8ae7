# Emulates Map/stage, compute_fp32, compute_mma (m16n8k8 fragment layouts) and acc_coord for one
# 64x64x16 tile and checks the scattered result equals A @ B.
import numpy as np
rng = np.random.default_rng(0)
A = rng.standard_normal((64,16)); B = rng.standard_normal((16,64))
def mapk(mfast, tid, j): return (tid>>6)+4*j if mfast else (tid&15)
def mapm(mfast, tid, j): return (tid&63) if mfast else (tid>>4)+16*j
for amf, bmf in ((True,False),(False,False)):
    sa = np.full((16,72), np.nan); sb = np.full((16,72), np.nan)
    for tid in range(256):
        for j in range(4):
            k, m = mapk(amf,tid,j), mapm(amf,tid,j); sa[k,m] = A[m,k]
            k, n = mapk(bmf,tid,j), mapm(bmf,tid,j); sb[k,n] = B[k,n]
    assert not np.isnan(sa[:,:64]).any() and not np.isnan(sb[:,:64]).any()
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
                                gg, tt = ln>>2, ln&3; row = wm*32+mi*16+gg; col = wn*16+ni*8+gg
                                Aw[gg,tt] = sa[ks+tt,row]; Aw[gg+8,tt] = sa[ks+tt,row+8]
                                Aw[gg,tt+4] = sa[ks+tt+4,row]; Aw[gg+8,tt+4] = sa[ks+tt+4,row+8]
                                Bw[tt,gg] = sb[ks+tt,col]; Bw[tt+4,gg] = sb[ks+tt+4,col]
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
