// GPU self-test of libgenten_cuda against plain CPU references in double (llm.c style): conv
// forward / backward-data / backward-filter in the three math modes at odd and model shapes
// (tiled and narrow paths), batchnorm train forward + backward, the Philox generators against the
// host implementation, dropout, the deterministic sum and a graph capture round trip.
// Build: cmake --build <dir> --target genten_selftest (not part of the default build); run it on a
// machine with a GPU: ./genten_selftest  (exit status 0 = all passed).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <vector>

#include "genten.h"
#include "philox.cuh"
#include "src/decimal.h"

static int failures = 0;

#define OK(call)                                                                                 \
    do {                                                                                         \
        int st_ = (call);                                                                        \
        if (st_ != 0) {                                                                          \
            printf("FAIL %s:%d %s -> %d (%s)\n", __FILE__, __LINE__, #call, st_, genten_error_string(st_)); \
            exit(2);                                                                             \
        }                                                                                        \
    } while (0)

struct Dev {
    float* p = nullptr;
    size_t n = 0;
    explicit Dev(const std::vector<float>& h) : n(h.size()) {
        OK(genten_malloc((void**)&p, n * sizeof(float)));
        OK(genten_memcpy_h2d(p, h.data(), n * sizeof(float), nullptr));
    }
    explicit Dev(size_t count) : n(count) {
        OK(genten_malloc((void**)&p, n * sizeof(float)));
        OK(genten_fill(p, (int64_t)n, NAN, nullptr));  // unwritten outputs show up as NaN
    }
    std::vector<float> get() const {
        std::vector<float> h(n);
        OK(genten_memcpy_d2h(h.data(), p, n * sizeof(float), nullptr));
        OK(genten_stream_synchronize(nullptr));
        return h;
    }
    ~Dev() { genten_free(p); }
};

static std::vector<float> randv(size_t n, uint64_t seed) {
    std::vector<float> v(n);
    genten::PhiloxWords w{};
    for (size_t i = 0; i < n; ++i) {
        if (i % 4 == 0) w = genten::philox_block(seed, 99, i / 4);
        v[i] = genten::philox_uniform(w.x[i % 4]) * 2.0f - 1.0f;
    }
    return v;
}

// max |got - want| / (atol + rtol * max|want|)
static void compare(const char* what, const std::vector<float>& got, const std::vector<double>& want, double rtol) {
    double maxref = 0, worst = 0;
    for (double v : want) maxref = fmax(maxref, fabs(v));
    size_t bad = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        const double err = fabs((double)got[i] - want[i]);
        if (!(err <= 1e-6 + rtol * maxref)) ++bad;  // NaN counts as bad
        if (err > worst || isnan(err)) worst = isnan(err) ? INFINITY : err;
    }
    printf("%s %-58s max err %.3g (ref scale %.3g)%s\n", bad ? "FAIL" : "ok  ", what, worst, maxref,
           bad ? " <-- mismatches" : "");
    if (bad) ++failures;
}

static void conv_case(int n, int c, int h, int w, int k, int r, int st, int pad, bool force_splits = false) {
    const int oh = (h + 2 * pad - r) / st + 1, ow = (w + 2 * pad - r) / st + 1;
    auto x = randv((size_t)n * c * h * w, 1), wt = randv((size_t)k * c * r * r, 2), b = randv(k, 3);
    auto dy = randv((size_t)n * k * oh * ow, 4);
    std::vector<double> y((size_t)n * k * oh * ow, 0), dx((size_t)n * c * h * w, 0), dw((size_t)k * c * r * r, 0);
    for (int i = 0; i < n; ++i)
        for (int o = 0; o < k; ++o)
            for (int a = 0; a < oh; ++a)
                for (int bb = 0; bb < ow; ++bb) {
                    const size_t yi = (((size_t)i * k + o) * oh + a) * ow + bb;
                    double acc = b[o];
                    for (int ch = 0; ch < c; ++ch)
                        for (int rr = 0; rr < r; ++rr)
                            for (int ss = 0; ss < r; ++ss) {
                                const int ih = a * st - pad + rr, iw = bb * st - pad + ss;
                                if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                const size_t xi = (((size_t)i * c + ch) * h + ih) * w + iw;
                                const size_t wi = (((size_t)o * c + ch) * r + rr) * r + ss;
                                acc += (double)x[xi] * wt[wi];
                                dx[xi] += (double)dy[yi] * wt[wi];
                                dw[wi] += (double)dy[yi] * x[xi];
                            }
                    y[yi] = acc > 0 ? acc : 0.2 * acc;  // leaky relu, alpha 0.2
                }
    Dev dX(x), dW(wt), dB(b), dDY(dy);
    const char* names[3] = {"fp32", "tf32", "3xtf32"};
    const double tol[3] = {1e-5, 3e-3, 1e-5};
    // conv.cu's tile rule, then each tile forced (GENTEN_CONV_TILE): every tile is correct at every
    // shape, so each shape below tests all of them, partial tiles and split-K plans included. Forward
    // and backward-data again with their split count forced (GENTEN_CONV_SPLITS; backward-filter has
    // its own plan) at the shapes marked force_splits: 1 (unsplit, where the rule splits), 2, 3 and 7
    // (capped at the k-slices there are; partial last splits, phases whose reductions end before the
    // last splits start), in every tile.
    const char* tiles[4] = {nullptr, "64x64", "wide", "128x128"};
    const char* splits[5] = {nullptr, "1", "2", "3", "7"};
    for (int ti = 0; ti < 4; ++ti)
    for (int si = 0; si < 5; ++si)
    for (int mode = 0; mode < 3; ++mode) {
        if (si > 0 && !force_splits) continue;
        if (si == 1 && tiles[ti]) continue;  // unsplit with a forced tile: the rule's runs (si = 0) have it
        if (tiles[ti]) setenv("GENTEN_CONV_TILE", tiles[ti], 1);
        else unsetenv("GENTEN_CONV_TILE");
        if (splits[si]) setenv("GENTEN_CONV_SPLITS", splits[si], 1);
        else unsetenv("GENTEN_CONV_SPLITS");
        char tn[32];
        snprintf(tn, sizeof tn, "%s%s%s", tiles[ti] ? tiles[ti] : "rule", splits[si] ? "/" : "", splits[si] ? splits[si] : "");
        char what[160];
        Dev dY(y.size()), dDX(dx.size()), dDW(dw.size());
        OK(genten_conv2d_forward(dX.p, dW.p, dB.p, dY.p, n, c, h, w, k, r, st, pad, oh, ow, mode,
                                 GENTEN_ACT_LEAKY_RELU, 0.2f, nullptr));
        OK(genten_conv2d_backward_data(dDY.p, dW.p, dDX.p, n, c, h, w, k, r, st, pad, oh, ow, mode, nullptr));
        snprintf(what, sizeof what, "conv fwd  %s %s n%d c%d %dx%d k%d r%d s%d p%d", names[mode], tn, n, c, h, w, k, r, st, pad);
        compare(what, dY.get(), y, tol[mode]);
        snprintf(what, sizeof what, "conv bwdd %s %s n%d c%d %dx%d k%d r%d s%d p%d", names[mode], tn, n, c, h, w, k, r, st, pad);
        compare(what, dDX.get(), dx, tol[mode]);
        if (splits[si]) continue;
        OK(genten_conv2d_backward_filter(dDY.p, dX.p, dDW.p, n, c, h, w, k, r, st, pad, oh, ow, mode, nullptr));
        snprintf(what, sizeof what, "conv bwdf %s %s n%d c%d %dx%d k%d r%d s%d p%d", names[mode], tn, n, c, h, w, k, r, st, pad);
        compare(what, dDW.get(), dw, tol[mode]);
    }
    unsetenv("GENTEN_CONV_TILE");
    unsetenv("GENTEN_CONV_SPLITS");
}

// The linear layers' GEMM in every transposition and math mode, odd sizes, bias on.
static void gemm_case(int m, int n, int k) {
    auto a = randv((size_t)m * k, 11), b = randv((size_t)k * n, 12), bias = randv(n, 13);
    Dev dA(a), dB(b), dBias(bias);
    const char* names[3] = {"fp32", "tf32", "3xtf32"};
    const double tol[3] = {1e-5, 3e-3, 1e-5};
    for (int ta = 0; ta < 2; ++ta)
        for (int tb = 0; tb < 2; ++tb) {
            // the same data read as A (m x k) or A^T stored (k x m); B (k x n) or B^T stored (n x k)
            std::vector<double> want((size_t)m * n);
            for (int i = 0; i < m; ++i)
                for (int j = 0; j < n; ++j) {
                    double acc = bias[j];
                    for (int q = 0; q < k; ++q)
                        acc += (double)(ta ? a[(size_t)q * m + i] : a[(size_t)i * k + q]) *
                               (tb ? b[(size_t)j * k + q] : b[(size_t)q * n + j]);
                    want[(size_t)i * n + j] = acc;
                }
            for (int mode = 0; mode < 3; ++mode) {
                Dev dC(want.size());
                OK(genten_gemm(ta, tb, m, n, k, dA.p, ta ? m : k, dB.p, tb ? k : n, dBias.p, dC.p, n, mode, nullptr));
                char what[160];
                snprintf(what, sizeof what, "gemm %s ta%d tb%d m%d n%d k%d", names[mode], ta, tb, m, n, k);
                compare(what, dC.get(), want, tol[mode]);
            }
        }
}

static void batchnorm_case(int n, int c, int hw) {
    auto x = randv((size_t)n * c * hw, 5), g = randv(c, 6), be = randv(c, 7), dy = randv((size_t)n * c * hw, 8);
    for (auto& v : x) v = v * 3.0f + 1.5f;
    const int cnt = n * hw;
    std::vector<double> mean(c, 0), var(c, 0), y(x.size()), dx(x.size()), dg(c, 0), db(c, 0);
    for (int ch = 0; ch < c; ++ch) {
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < hw; ++j) mean[ch] += x[((size_t)i * c + ch) * hw + j];
        mean[ch] /= cnt;
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < hw; ++j) {
                const double d = x[((size_t)i * c + ch) * hw + j] - mean[ch];
                var[ch] += d * d;
            }
        var[ch] /= cnt;
        const double is = 1.0 / sqrt(var[ch] + 1e-5);
        double sdy = 0, sdyx = 0;
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < hw; ++j) {
                const size_t q = ((size_t)i * c + ch) * hw + j;
                const double xh = (x[q] - mean[ch]) * is;
                const double v = g[ch] * xh + be[ch];
                y[q] = v > 0 ? v : 0;
                sdy += dy[q];
                sdyx += dy[q] * xh;
            }
        dg[ch] = sdyx;
        db[ch] = sdy;
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < hw; ++j) {
                const size_t q = ((size_t)i * c + ch) * hw + j;
                const double xh = (x[q] - mean[ch]) * is;
                dx[q] = g[ch] * is * (dy[q] - sdy / cnt - xh * sdyx / cnt);
            }
    }
    std::vector<float> ones(c, 1.0f), zeros(c, 0.0f);
    Dev dX(x), dG(g), dBe(be), dDY(dy), dY(x.size()), dM(c), dIS(c), rm(zeros), rv(ones), dDX(x.size()), dDG(c), dDB(c);
    OK(genten_batchnorm_train_forward(dX.p, dG.p, dBe.p, dY.p, dM.p, dIS.p, rm.p, rv.p, n, c, hw, 0.1f, 1e-5f,
                                      GENTEN_ACT_RELU, 0.0f, nullptr));
    OK(genten_batchnorm_backward(dDY.p, dX.p, dG.p, dM.p, dIS.p, dDX.p, dDG.p, dDB.p, n, c, hw, nullptr));
    std::vector<double> rvw(c), rmw(c);
    for (int ch = 0; ch < c; ++ch) {
        rmw[ch] = 0.1 * mean[ch];
        rvw[ch] = 0.9 + 0.1 * var[ch] * cnt / (cnt - 1);
    }
    char what[120];
    snprintf(what, sizeof what, "batchnorm fwd n%d c%d hw%d", n, c, hw);
    compare(what, dY.get(), y, 1e-5);
    snprintf(what, sizeof what, "batchnorm running var n%d c%d hw%d", n, c, hw);
    compare(what, rv.get(), rvw, 1e-5);
    snprintf(what, sizeof what, "batchnorm running mean n%d c%d hw%d", n, c, hw);
    compare(what, rm.get(), rmw, 1e-5);
    snprintf(what, sizeof what, "batchnorm dx n%d c%d hw%d", n, c, hw);
    compare(what, dDX.get(), dx, 1e-4);
    snprintf(what, sizeof what, "batchnorm dgamma n%d c%d hw%d", n, c, hw);
    compare(what, dDG.get(), dg, 1e-5);
    snprintf(what, sizeof what, "batchnorm dbeta n%d c%d hw%d", n, c, hw);
    compare(what, dDB.get(), db, 1e-5);
}

static void philox_case(int64_t n) {
    std::vector<double> u(n), z(n);
    for (int64_t b = 0; b * 4 < n; ++b) {
        const genten::PhiloxWords w = genten::philox_block(1234, 77 + 5, b);
        float nn[4];
        genten::philox_normal4(1234, 77 + 5, b, nn);
        for (int l = 0; l < 4 && b * 4 + l < n; ++l) {
            u[b * 4 + l] = genten::philox_uniform(w.x[l]);
            z[b * 4 + l] = nn[l];
        }
    }
    uint64_t* off = nullptr;
    OK(genten_malloc((void**)&off, sizeof(uint64_t)));
    const uint64_t five = 5;
    OK(genten_memcpy_h2d(off, &five, sizeof five, nullptr));
    Dev du((size_t)n), dz((size_t)n);
    OK(genten_philox_uniform(du.p, n, 1234, 77, off, nullptr));
    OK(genten_philox_normal(dz.p, n, 1234, 77, off, nullptr));
    const auto gu = du.get(), gz = dz.get();
    int64_t ubad = 0, zbad = 0;
    for (int64_t i = 0; i < n; ++i) {
        ubad += gu[i] != (float)u[i];
        zbad += gz[i] != (float)z[i];
    }
    printf("%s philox uniform n=%lld: %lld bitwise mismatches\n", ubad ? "FAIL" : "ok  ", (long long)n, (long long)ubad);
    printf("%s philox normal  n=%lld: %lld bitwise mismatches (host libm vs CUDA, rare ulp flips allowed)\n",
           zbad * 1000000 > n ? "FAIL" : "ok  ", (long long)n, (long long)zbad);
    failures += ubad != 0;
    failures += zbad * 1000000 > n;
    genten_free(off);
}

static void sum_and_graph_case(int64_t n) {
    auto x = randv((size_t)n, 9);
    double s = 0;
    for (float v : x) s += v;
    Dev dx(x), out(1), out2(1);
    OK(genten_sum(dx.p, out.p, n, 0.5f, nullptr));
    compare("sum (scale 0.5)", out.get(), {0.5 * s}, 1e-6);
    void* stream = nullptr;
    void* exec = nullptr;
    OK(genten_stream_create(&stream));
    OK(genten_graph_begin_capture(stream));
    OK(genten_sum(dx.p, out2.p, n, 0.5f, stream));
    OK(genten_graph_end_capture(stream, &exec));
    OK(genten_graph_launch(exec, stream));
    OK(genten_stream_synchronize(stream));
    const float a = out.get()[0], b = out2.get()[0];
    printf("%s sum in a CUDA graph equals the eager sum bitwise\n", a == b ? "ok  " : "FAIL");
    failures += a != b;
    OK(genten_graph_destroy(exec));
    OK(genten_stream_destroy(stream));
}

// Split-K forward and backward-data captured in a CUDA graph (their workspaces: stream-ordered
// allocations, captured as graph memory nodes) equal the eager calls bitwise: the split count and the
// reduce's order depend on the shape only. Shapes the rule splits (conv_case's last two).
static void conv_split_graph_case() {
    struct S { int n, c, h, w, k, r, st, pad; } shapes[2] = {{1, 95, 6, 5, 17, 3, 1, 1}, {2, 24, 8, 7, 256, 3, 2, 1}};
    for (const S& q : shapes) {
        const int oh = (q.h + 2 * q.pad - q.r) / q.st + 1, ow = (q.w + 2 * q.pad - q.r) / q.st + 1;
        const size_t nx = (size_t)q.n * q.c * q.h * q.w, ny = (size_t)q.n * q.k * oh * ow;
        Dev x(randv(nx, 61)), wt(randv((size_t)q.k * q.c * q.r * q.r, 62)), b(randv(q.k, 63)), dy(randv(ny, 64));
        Dev y1(ny), y2(ny), dx1(nx), dx2(nx);
        const int mode = GENTEN_MATH_TF32;
        OK(genten_conv2d_forward(x.p, wt.p, b.p, y1.p, q.n, q.c, q.h, q.w, q.k, q.r, q.st, q.pad, oh, ow, mode,
                                 GENTEN_ACT_RELU, 0.0f, nullptr));
        OK(genten_conv2d_backward_data(dy.p, wt.p, dx1.p, q.n, q.c, q.h, q.w, q.k, q.r, q.st, q.pad, oh, ow, mode, nullptr));
        void* stream = nullptr;
        void* exec = nullptr;
        OK(genten_stream_create(&stream));
        OK(genten_graph_begin_capture(stream));
        OK(genten_conv2d_forward(x.p, wt.p, b.p, y2.p, q.n, q.c, q.h, q.w, q.k, q.r, q.st, q.pad, oh, ow, mode,
                                 GENTEN_ACT_RELU, 0.0f, stream));
        OK(genten_conv2d_backward_data(dy.p, wt.p, dx2.p, q.n, q.c, q.h, q.w, q.k, q.r, q.st, q.pad, oh, ow, mode, stream));
        OK(genten_graph_end_capture(stream, &exec));
        OK(genten_graph_launch(exec, stream));
        OK(genten_stream_synchronize(stream));
        const auto a = y1.get(), bb = y2.get(), c = dx1.get(), d = dx2.get();
        size_t diff = 0;
        for (size_t i = 0; i < a.size(); ++i) diff += !(a[i] == bb[i]);
        for (size_t i = 0; i < c.size(); ++i) diff += !(c[i] == d[i]);
        printf("%s conv split-K forward + backward-data n%d c%d %dx%d k%d s%d in a CUDA graph equal the eager calls "
               "bitwise (%zu differ)\n", diff ? "FAIL" : "ok  ", q.n, q.c, q.h, q.w, q.k, q.st, diff);
        failures += diff != 0;
        OK(genten_graph_destroy(exec));
        OK(genten_stream_destroy(stream));
    }
}

// Adam over three slots whose work items (1469 of 1024 elements) outnumber the launch's blocks
// (1056): blocks walk several items across slots. Against the CPU backend's math in double.
static void adam_case() {
    const int64_t sizes[3] = {1500003, 1, 3001};
    const float lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 0.01f;
    const uint64_t step = 3;
    std::vector<Dev*> owned;
    std::vector<genten_adam_slot> slots;
    std::vector<std::vector<double>> want_p;
    for (int i = 0; i < 3; ++i) {
        auto p = randv((size_t)sizes[i], 20 + i), g = randv((size_t)sizes[i], 30 + i);
        auto m = randv((size_t)sizes[i], 40 + i), v = randv((size_t)sizes[i], 50 + i);
        for (float& x : v) x = fabsf(x);
        const double B1 = genten::float_decimal(b1), B2 = genten::float_decimal(b2), LR = genten::float_decimal(lr),
                     EPS = genten::float_decimal(eps), WD = genten::float_decimal(wd);
        std::vector<double> want(p.size());
        for (size_t e = 0; e < p.size(); ++e) {  // Adam, coupled (L2) weight decay
            const double gg = (double)g[e] + WD * p[e];
            const double mm = B1 * m[e] + (1 - B1) * gg, vv = B2 * v[e] + (1 - B2) * gg * gg;
            want[e] = p[e] - LR * (mm / (1 - pow(B1, (double)step))) / (sqrt(vv / (1 - pow(B2, (double)step))) + EPS);
        }
        want_p.push_back(want);
        for (auto* h : {&p, &g, &m, &v}) owned.push_back(new Dev(*h));
        const size_t o = owned.size() - 4;
        slots.push_back(genten_adam_slot{owned[o]->p, owned[o + 1]->p, owned[o + 2]->p, owned[o + 3]->p, sizes[i]});
    }
    genten_adam_slot* slots_dev = nullptr;
    uint64_t* step_dev = nullptr;
    OK(genten_malloc((void**)&slots_dev, sizeof(genten_adam_slot) * 3));
    OK(genten_memcpy_h2d(slots_dev, slots.data(), sizeof(genten_adam_slot) * 3, nullptr));
    OK(genten_malloc((void**)&step_dev, sizeof step));
    OK(genten_memcpy_h2d(step_dev, &step, sizeof step, nullptr));
    OK(genten_adam_step(slots_dev, 3, sizes[0], lr, b1, b2, eps, wd, 0, step_dev, nullptr));
    for (int i = 0; i < 3; ++i) {
        char what[96];
        snprintf(what, sizeof what, "adam param, slot %d of 3 (n %lld)", i, (long long)sizes[i]);
        compare(what, owned[4 * i]->get(), want_p[i], 1e-6);
    }
    for (Dev* d : owned) delete d;
    genten_free(slots_dev);
    genten_free(step_dev);
}

int main() {
    int count = 0;
    if (genten_device_count(&count) != 0 || count == 0) {
        printf("no CUDA device\n");
        return 3;
    }
    char name[256];
    OK(genten_device_name(0, name, sizeof name));
    printf("device: %s\n", name);
    // odd sizes, batch 1, channels not multiples of 4/32, stride 3, the narrow paths (k or c <= 8)
    conv_case(1, 3, 7, 5, 5, 3, 1, 1);
    conv_case(2, 5, 9, 11, 70, 3, 3, 2, true);
    conv_case(3, 1, 28, 28, 64, 5, 2, 2);    // DCGAN D conv1 (narrow backward-data: c = 1)
    conv_case(2, 64, 14, 14, 128, 5, 2, 2);  // DCGAN D conv2
    conv_case(2, 32, 28, 28, 1, 3, 1, 1);    // VAE last conv (narrow forward and filter: k = 1)
    conv_case(2, 9, 14, 14, 65, 3, 2, 1, true);    // output-padding-like H (14 = (7-1)*2 - 2 + 3 + 1)
    conv_case(8, 20, 16, 16, 66, 3, 1, 1);   // backward-filter split-K (8 splits) over 2 x 3 tiles
    conv_case(3, 12, 10, 10, 70, 4, 2, 1, true);   // even filter, stride 2: phases with 2 taps each way
    conv_case(2, 10, 23, 21, 12, 6, 5, 2, true);   // stride 5: 25 phases, two backward-data launches
    conv_case(2, 72, 12, 12, 24, 3, 1, 1, true);   // C > 64, K <= 64: backward-data's wide and large tiles
    conv_case(3, 80, 10, 10, 20, 4, 2, 1, true);   // the large backward-data tile over stride phases, partial k-slices
    conv_case(3, 33, 11, 11, 64, 3, 2, 1);   // VAE enc2-like, odd C: the rule's wide tiles (fwd 128x64, bwdf 64x128)
    conv_case(2, 48, 15, 13, 37, 3, 2, 1, true);   // a VAE decoder-like transposed conv: wide bwdd over 4 odd phases
    conv_case(1, 95, 6, 5, 17, 3, 1, 1, true);     // the rule's forward split-K: 30 positions, a 855-deep reduction
    conv_case(2, 24, 8, 7, 256, 3, 2, 1, true);    // the rule's backward-data split-K over 4 phases of 256-1024 taps
    conv_split_graph_case();
    gemm_case(67, 70, 129);                   // odd, partial tiles in every dimension
    gemm_case(5, 1, 300);                     // the discriminator's Linear(6272, 1) in miniature
    batchnorm_case(3, 5, 49);
    batchnorm_case(7, 130, 1);
    adam_case();
    philox_case(1000003);
    sum_and_graph_case(3000017);
    printf(failures ? "%d FAILED\n" : "all passed\n", failures);
    return failures ? 1 : 0;
}
