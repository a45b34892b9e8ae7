# Emulates the index math of native/conv.cu (make_phase, BdA/BdB, FwdA/FwdB, BfA/BfB and the
# epilogues) on the CPU and checks it against direct convolution definitions.
import numpy as np, random
def ref_fwd(x, w, st, pad, oh, ow):
    n,c,h,wd = x.shape; k,_,r,_ = w.shape
    y = np.zeros((n,k,oh,ow))
    for a in range(oh):
        for b in range(ow):
            for rr in range(r):
                for ss in range(r):
                    ih, iw = a*st-pad+rr, b*st-pad+ss
                    if 0<=ih<h and 0<=iw<wd:
                        y[:,:,a,b] += x[:,:,ih,iw] @ w[:,:,rr,ss].T
    return y
def ref_bwd_data(dy, w, h, wd, st, pad):
    n,k,oh,ow = dy.shape; _,c,r,_ = w.shape
    dx = np.zeros((n,c,h,wd))
    for a in range(oh):
        for b in range(ow):
            for rr in range(r):
                for ss in range(r):
                    ih, iw = a*st-pad+rr, b*st-pad+ss
                    if 0<=ih<h and 0<=iw<wd:
                        dx[:,:,ih,iw] += dy[:,:,a,b] @ w[:,:,rr,ss]
    return dx
def ref_bwd_filter(dy, x, r, st, pad):
    n,k,oh,ow = dy.shape; _,c,h,wd = x.shape
    dw = np.zeros((k,c,r,r))
    for a in range(oh):
        for b in range(ow):
            for rr in range(r):
                for ss in range(r):
                    ih, iw = a*st-pad+rr, b*st-pad+ss
                    if 0<=ih<h and 0<=iw<wd:
                        dw[:,:,rr,ss] += dy[:,:,a,b].T @ x[:,:,ih,iw]
    return dw
def cmod(a,b):  # C's % on ints (truncating)
    q = abs(a)//abs(b); q = q if (a>=0)==(b>0) else -q
    return a - q*b
def cdiv(a,b):
    q = abs(a)//abs(b); return q if (a>=0)==(b>0) else -q
def emu_fwd(x, w, st, pad, oh, ow):
    n,c,h,wd = x.shape; k,_,r,_ = w.shape
    M, Kd = n*oh*ow, c*r*r
    A = np.zeros((M,Kd)); xf = x.ravel(); wf = w.ravel()
    for m in range(M):
        img, pos = divmod(m, oh*ow); o1, o2 = divmod(pos, ow)
        ih0, iw0 = o1*st-pad, o2*st-pad
        for kd in range(Kd):
            cc, rs = divmod(kd, r*r); rr, ss = divmod(rs, r)
            ih, iw = ih0+rr, iw0+ss
            if 0<=ih<h and 0<=iw<wd: A[m,kd] = xf[img*c*h*wd + (cc*h+ih)*wd+iw]
    B = np.array([[wf[kout*Kd+kd] for kout in range(k)] for kd in range(Kd)])
    C = A@B; y = np.zeros(n*k*oh*ow)
    for m in range(M):
        for kout in range(k):
            img, pos = divmod(m, oh*ow); y[(img*k+kout)*oh*ow+pos] = C[m,kout]
    return y.reshape(n,k,oh,ow)
def emu_bwd_data(dy, w, h, wd, st, pad):
    n,k,oh,ow = dy.shape; _,c,r,_ = w.shape
    dyf, wf = dy.ravel(), w.ravel()
    dx = np.full(n*c*h*wd, np.nan)
    for z in range(st*st):
        ph, pw = divmod(z, st)
        h0 = cmod(cmod(ph-pad, st)+st, st); w0 = cmod(cmod(pw-pad, st)+st, st)
        hq = (h-h0+st-1)//st if h0 < h else 0; wq = (wd-w0+st-1)//st if w0 < wd else 0
        rh = (r-ph+st-1)//st if ph < r else 0; rw = (r-pw+st-1)//st if pw < r else 0
        assert (h0+pad-ph) % st == 0 and h0+pad-ph >= 0
        bh, bw = cdiv(h0+pad-ph, st), cdiv(w0+pad-pw, st)
        M, Kd = n*hq*wq, k*rh*rw
        A = np.zeros((M,Kd)); B = np.zeros((Kd,c))
        for m in range(M):
            img, pos = divmod(m, hq*wq); a, b = divmod(pos, wq)
            oh0, ow0 = bh+a, bw+b
            for kd in range(Kd):
                kk, t = divmod(kd, rh*rw); jh, jw = divmod(t, rw)
                o1, o2 = oh0-jh, ow0-jw
                if 0<=o1<oh and 0<=o2<ow: A[m,kd] = dyf[img*k*oh*ow + (kk*oh+o1)*ow+o2]
        for kd in range(Kd):
            kk, t = divmod(kd, rh*rw); jh, jw = divmod(t, rw)
            rr, ss = ph+st*jh, pw+st*jw
            for cc in range(c): B[kd,cc] = wf[((kk*c+cc)*r+rr)*r+ss]
        C = A@B if Kd else np.zeros((M,c))
        for m in range(M):
            img, pos = divmod(m, hq*wq); a, b = divmod(pos, wq)
            hh, ww = h0+a*st, w0+b*st
            for cc in range(c):
                i = ((img*c+cc)*h+hh)*wd+ww
                assert np.isnan(dx[i]); dx[i] = C[m,cc]
    assert not np.isnan(dx).any()
    return dx.reshape(n,c,h,wd)
def emu_bwd_filter(dy, x, r, st, pad, splits):
    n,k,oh,ow = dy.shape; _,c,h,wd = x.shape
    N, Kd = c*r*r, n*oh*ow; dyf, xf = dy.ravel(), x.ravel()
    per = -(-Kd//splits); per = -(-per//16)*16; splits = -(-Kd//per)
    ws = np.zeros((splits, k, N))
    for z in range(splits):
        kb, ke = z*per, min(Kd, z*per+per)
        for kd in range(kb, ke):
            img, pos = divmod(kd, oh*ow); o1, o2 = divmod(pos, ow)
            for kout in range(k):
                a = dyf[(img*k+kout)*oh*ow+pos]
                for crs in range(N):
                    cc, rs = divmod(crs, r*r); rr, ss = divmod(rs, r)
                    ih, iw = o1*st-pad+rr, o2*st-pad+ss
                    if 0<=ih<h and 0<=iw<wd: ws[z,kout,crs] += a*xf[((img*c+cc)*h+ih)*wd+iw]
    return ws.sum(0).reshape(k,c,r,r)
def emu_bwd_data_narrow(dy, w, h, wd, st, pad):
    n,k,oh,ow = dy.shape; _,c,r,_ = w.shape
    dx = np.zeros((n,c,h,wd))
    for img in range(n):
        for hh in range(h):
            for ww in range(wd):
                r0, q0 = (hh+pad) % st, (ww+pad) % st
                for kk in range(k):
                    for rr in range(r0, r, st):
                        if hh+pad-rr < 0: break
                        o1 = (hh+pad-rr)//st
                        if o1 >= oh: continue
                        for qq in range(q0, r, st):
                            if ww+pad-qq < 0: break
                            o2 = (ww+pad-qq)//st
                            if o2 >= ow: continue
                            dx[img,:,hh,ww] += dy[img,kk,o1,o2]*w[kk,:,rr,qq]
    return dx
rng = np.random.default_rng(1)
cases = [(2,3,7,7,4,5,2,2,0),(1,1,28,28,1,5,2,2,1),(2,2,14,14,3,3,2,1,1),(1,2,5,6,2,3,1,1,0),(2,3,9,8,2,3,3,0,0),
         (1,2,8,8,3,4,2,1,0),(1,1,6,6,2,1,2,0,0),(1,2,7,7,2,5,1,2,0),(1,2,11,10,1,3,3,2,2),(1,1,4,4,1,2,3,0,0)]
for (n,c,h,wd,k,r,st,pad,opad) in cases:
    if opad:  # transposed-conv style sizes: dx shape (h + opad)
        pass
    oh, ow = (h+2*pad-r)//st+1, (wd+2*pad-r)//st+1
    H, W = h+opad, wd+opad
    if (H+2*pad-r)//st+1 != oh or (W+2*pad-r)//st+1 != ow: H, W = h, wd
    x = rng.standard_normal((n,c,H,W)); w = rng.standard_normal((k,c,r,r)); dy = rng.standard_normal((n,k,oh,ow))
    assert np.allclose(emu_fwd(x,w,st,pad,oh,ow), ref_fwd(x,w,st,pad,oh,ow))
    assert np.allclose(emu_bwd_data(dy,w,H,W,st,pad), ref_bwd_data(dy,w,H,W,st,pad))
    assert np.allclose(emu_bwd_data_narrow(dy,w,H,W,st,pad), ref_bwd_data(dy,w,H,W,st,pad))
    for sp in (1,3):
        assert np.allclose(emu_bwd_filter(dy,x,r,st,pad,sp), ref_bwd_filter(dy,x,r,st,pad))
    print("ok", (n,c,H,W,k,r,st,pad,oh,ow))
