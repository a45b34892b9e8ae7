# Bank conflicts of the large (128 x 128) tile of src/tile_gemm.cuh: its element maps cover each
# 16 x 128 slice once, and the ways of the worst bank per phase of every warp's fragment-layout stores
# (STS.128 into A, STS.64 into B) and fragment reads (conv_tile_emu.py covers the 64 x 64 tile), and
# the fragment reads of the wide tiles.
# Usage: python3 native/check/tile128_banks.py
def a_word(k, m, R=128):
    chunk = ((k>>3)*(R//16) + (m>>4))*32 + (m&7)*4 + (k&3)
    return (chunk ^ (chunk>>3 & 3))*4 + (m>>3 & 1) + 2*(k>>2 & 1)
def b_word(k, n, R=128): return (k>>3)*(R//8*66) + (n>>3)*66 + ((n&7)*4 + (k&3))*2 + (k>>2 & 1)
def row0(mf, tid):
    p = (tid & 63) if mf else (tid >> 3)
    return (p >> 3)*16 + (p & 7)
def k0(mf, tid): return (tid >> 6) if mf else (tid & 3) + (tid & 4)*2
def ways(addrs, width):
    per = 32 // width; worst = 1
    for ph in range(0, 32, per):
        banks = {}
        for a in addrs[ph:ph+per]:
            for w in range(width): banks.setdefault((a + w) % 32, set()).add((a + w) // 32)
        worst = max(worst, max(len(v) for v in banks.values()))
    return worst
# coverage check
for mf in (True, False):
    for isa in (True, False):
        seen = set()
        for tid in range(256):
            r, k = row0(mf, tid), k0(mf, tid)
            drows = [0, 8] if mf else [0, 8, 64, 72]
            dks = [0, 4, 8, 12] if mf else [0, 4]
            for dr in drows:
                for dk in dks: seen.add((k+dk, r+dr))
        assert len(seen) == 2048, (mf, len(seen))
for mf in (True, False):
    w = 0
    for warp in range(8):
        addrs = [a_word(k0(mf, t), row0(mf, t)) for t in range(warp*32, warp*32+32)]
        w = max(w, ways(addrs, 4))
    wb = 0
    for warp in range(8):
        addrs = [b_word(k0(mf, t), row0(mf, t)) for t in range(warp*32, warp*32+32)]
        wb = max(wb, ways(addrs, 2))
    print(f"{'M-fast' if mf else 'K-fast'}: A STS.128 {w}-way, B STS.64 {wb}-way")
# fragment reads: A LDS.128 at (wm*MI*32 + swz lane)*4 + tile*128; B LDS.64 at wn*NI*66 + lane*2
ra = max(ways([((wm*4*32 + (l ^ (l>>3 & 3)))*4 + mi*128) for l in range(32)], 4) for wm in range(2) for mi in range(4))
rb = max(ways([wn*4*66 + l*2 + ni*66 for l in range(32)], 2) for wn in range(4) for ni in range(4))
print(f"reads: A LDS.128 {ra}-way, B LDS.64 {rb}-way")
# the wide tiles (128 x 64: warps of 64 x 16, MI = 4, NI = 2; 64 x 128: 32 x 32, MI = 2, NI = 4) store
# their 128-row operand with the maps above and their 64-row one with the small tile's; their reads:
for name, mi_n, ni_n in (("128x64", 4, 2), ("64x128", 2, 4)):
    ra = max(ways([((wm*mi_n*32 + (l ^ (l>>3 & 3)))*4 + mi*128) for l in range(32)], 4) for wm in range(2) for mi in range(mi_n))
    rb = max(ways([wn*ni_n*66 + l*2 + ni*66 for l in range(32)], 2) for wn in range(4) for ni in range(ni_n))
    print(f"reads {name}: A LDS.128 {ra}-way, B LDS.64 {rb}-way")
