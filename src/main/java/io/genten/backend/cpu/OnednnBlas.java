package io.genten.backend.cpu;

import java.io.File;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.bytedeco.javacpp.Loader;

/**
 * oneDNN's {@code dnnl_sgemm} (row-major), from the native jar of JavaCPP's dnnl preset, called
 * through FFM with a <em>critical</em> downcall that reads Java heap arrays in place, as {@link OpenBlas}.
 *
 * <p>Why oneDNN first: it picks its kernels from the CPU's feature flags, so AVX-512 machines get
 * AVX-512 kernels whatever the CPU calls itself. OpenBLAS picks by CPU model and falls back to its
 * AVX2 kernels on CPUs it cannot name (a virtualized EPYC reports a bare "AMD EPYC"): measured on
 * such a VM, one thread, at the DCGAN's and VAE's GEMM shapes, OpenBLAS 65-103 GFLOP/s, with
 * {@code OPENBLAS_CORETYPE=SKYLAKEX} 94-189, oneDNN 107-200 (BENCHMARKS.md, "The GEMM library").
 *
 * <p>{@code dnnl_sgemm} returns without touching C when k = 0 (BLAS scales C by beta):
 * {@link Gemm} handles empty products before any library is called.
 *
 * <p>Only the two shared libraries are taken from the jar (JavaCPP extracts them to its cache,
 * side by side, as libdnnl's RUNPATH expects); the preset's JNI bridge and Java classes are not
 * loaded, so neither they nor their OpenCL dependency need be on the class path.
 *
 * <p>Threads: oneDNN runs on OpenMP, whose thread count is a per-thread setting that defaults to
 * every core; each call sets it on the calling thread first (the backend's threads each run their
 * own GEMMs, which must not fan out again).
 */
final class OnednnBlas implements NativeBlas {
    private static final String LIBRARY = "libdnnl.so.3", OPENMP = "libgomp.so.1";

    private final MethodHandle sgemm;
    private final MethodHandle ompSetThreads;
    private final String version;
    private volatile int threads = 1;

    private OnednnBlas(MethodHandle sgemm, MethodHandle ompSetThreads, String version) {
        this.sgemm = sgemm;
        this.ompSetThreads = ompSetThreads;
        this.version = version;
    }

    static OnednnBlas load() throws Throwable {
        String dir = "/org/bytedeco/dnnl/" + Loader.getPlatform() + "/";
        if (OnednnBlas.class.getResource(dir + LIBRARY) == null) {
            throw new UnsatisfiedLinkError("no " + dir + LIBRARY + " on the class path (org.bytedeco:dnnl with classifier " + Loader.getPlatform() + ")");
        }
        File openmp = Loader.cacheResource(dir + OPENMP);
        File dnnl = Loader.cacheResource(dir + LIBRARY);
        var linker = Linker.nativeLinker();
        var omp = SymbolLookup.libraryLookup(openmp.toPath(), Arena.global());
        var lib = SymbolLookup.libraryLookup(dnnl.toPath(), Arena.global());
        var i = ValueLayout.JAVA_INT;
        var l = ValueLayout.JAVA_LONG;
        var f = ValueLayout.JAVA_FLOAT;
        var p = ValueLayout.ADDRESS;
        var c = ValueLayout.JAVA_BYTE;
        var sgemm = linker.downcallHandle(lib.find("dnnl_sgemm").orElseThrow(),
                FunctionDescriptor.of(i, c, c, l, l, l, f, p, l, p, l, f, p, l), Linker.Option.critical(true));
        var ompSetThreads = linker.downcallHandle(omp.find("omp_set_num_threads").orElseThrow(),
                FunctionDescriptor.ofVoid(i), Linker.Option.critical(false));
        var versionOf = linker.downcallHandle(lib.find("dnnl_version").orElseThrow(), FunctionDescriptor.of(p));
        // dnnl_version_t: int major, minor, patch; then the commit hash and the runtimes
        var v = ((MemorySegment) versionOf.invokeExact()).reinterpret(12);
        String version = "oneDNN " + v.getAtIndex(i, 0) + "." + v.getAtIndex(i, 1) + "." + v.getAtIndex(i, 2);
        return new OnednnBlas(sgemm, ompSetThreads, version);
    }

    @Override public String version() { return version; }

    /** OpenMP threads per call (process-wide here); only the benchmark comparing threading strategies changes it. */
    @Override public void setThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("oneDNN threads must be >= 1, got " + threads);
        this.threads = threads;
    }

    @Override public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                                float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        int status;
        try {
            ompSetThreads.invokeExact(threads);
            status = (int) sgemm.invokeExact((byte) (transA ? 'T' : 'N'), (byte) (transB ? 'T' : 'N'), (long) m, (long) n, (long) k, alpha,
                    NativeBlas.heap(a, aOff), (long) lda, NativeBlas.heap(b, bOff), (long) ldb, beta, NativeBlas.heap(c, cOff), (long) ldc);
        } catch (Throwable t) {
            throw new IllegalStateException("dnnl_sgemm failed: " + t, t);
        }
        if (status != 0) {
            throw new IllegalStateException("dnnl_sgemm returned status " + status + " for m=" + m + " n=" + n + " k=" + k
                    + " lda=" + lda + " ldb=" + ldb + " ldc=" + ldc);
        }
    }

}
