package io.genten.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * The OpenBLAS shipped in JavaCPP's openblas preset jar, called through FFM.
 *
 * <p>JavaCPP extracts and loads the library; we then bind {@code cblas_sgemm} ourselves with a
 * <em>critical</em> downcall that may read Java heap arrays in place. JavaCPP's own
 * {@code cblas_sgemm(float[]...)} overload copies every array argument in and out in full
 * (measured: 0.4 ms per call for a 1M-float array, 110 ms for 16M), and its
 * {@code blas_set_num_threads} cannot find OpenBLAS's symbol; both would dominate our small GEMMs.
 * A critical call blocks the GC only for the length of one GEMM (milliseconds).
 */
final class OpenBlas implements NativeBlas {
    static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;

    private final MethodHandle sgemm;
    private final MethodHandle setThreads;
    private final String version;

    private OpenBlas(MethodHandle sgemm, MethodHandle setThreads, String version) {
        this.sgemm = sgemm;
        this.setThreads = setThreads;
        this.version = version;
    }

    /** Loads the library and sets it single-threaded (callers parallelize themselves; see {@link Gemm}). */
    static OpenBlas load() throws Throwable {
        Path jni = Path.of(Loader.load(openblas_nolapack.class));
        Path lib = null;
        for (var name : new String[] {"libopenblas_nolapack.so.0", "libopenblas.so.0", "libopenblas_nolapack.so", "libopenblas.so"}) {
            if (Files.exists(jni.resolveSibling(name))) {
                lib = jni.resolveSibling(name);
                break;
            }
        }
        if (lib == null) throw new IllegalStateException("no libopenblas beside " + jni);
        var lookup = SymbolLookup.libraryLookup(lib, Arena.global());
        var linker = Linker.nativeLinker();
        var i = ValueLayout.JAVA_INT;
        var f = ValueLayout.JAVA_FLOAT;
        var p = ValueLayout.ADDRESS;
        var sgemm = linker.downcallHandle(lookup.find("cblas_sgemm").orElseThrow(),
                FunctionDescriptor.ofVoid(i, i, i, i, i, i, f, p, i, p, i, f, p, i), Linker.Option.critical(true));
        var setThreads = linker.downcallHandle(lookup.find("openblas_set_num_threads").orElseThrow(), FunctionDescriptor.ofVoid(i));
        var config = linker.downcallHandle(lookup.find("openblas_get_config").orElseThrow(), FunctionDescriptor.of(p));
        var corename = linker.downcallHandle(lookup.find("openblas_get_corename").orElseThrow(), FunctionDescriptor.of(p));
        setThreads.invokeExact(1);
        var cfg = ((MemorySegment) config.invokeExact()).reinterpret(256).getString(0).split(" ");
        var core = ((MemorySegment) corename.invokeExact()).reinterpret(64).getString(0);
        String version = (cfg.length >= 2 ? cfg[0] + " " + cfg[1] : "OpenBLAS") + " " + core;
        return new OpenBlas(sgemm, setThreads, version);
    }

    @Override public String version() { return version; }

    /** OpenBLAS's own thread count (process-wide); only the benchmark comparing the two strategies changes it. */
    @Override public void setThreads(int threads) {
        try {
            setThreads.invokeExact(threads);
        } catch (Throwable t) {
            throw new IllegalStateException("openblas_set_num_threads failed: " + t, t);
        }
    }

    /** Row-major C = alpha op(A) op(B) + beta C on heap arrays; bounds were checked by the caller. */
    @Override public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
               float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        try {
            sgemm.invokeExact(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, alpha,
                    NativeBlas.heap(a, aOff), lda, NativeBlas.heap(b, bOff), ldb, beta, NativeBlas.heap(c, cOff), ldc);
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_sgemm failed: " + t, t);
        }
    }

}
