package io.genten.backend.cuda;

import org.bytedeco.javacpp.Loader;

/**
 * Loads JavaCPP's cuBLAS and cuDNN bindings (org.bytedeco:cuda presets). Their JNI libraries
 * link against the system's libcublas.so.13 and libcudnn.so.9 (or the cuda-redist jar's copies);
 * a failure becomes one message that names the library, the version and how to get it.
 */
final class JavaCppLibraries {
    private JavaCppLibraries() {}

    private static final String REDIST = "or add them to the class path with the Maven profile -Pcuda-redist "
            + "(org.bytedeco:cuda-redist, ~350 MB, everything but the driver)";

    /** null when cuBLAS loads, else why not. */
    static String cublasProblem() {
        try {
            Loader.load(org.bytedeco.cuda.global.cublas.class);
            return null;
        } catch (Throwable t) {
            return "cuBLAS 13 (libcublas.so.13, CUDA 13.x) could not be loaded: " + describe(t)
                    + ". Install it (e.g. apt install libcublas-13-0, or pip install nvidia-cublas) and put it on "
                    + "LD_LIBRARY_PATH, " + REDIST;
        }
    }

    /** null when cuDNN loads, else why not. */
    static String cudnnProblem() {
        try {
            Loader.load(org.bytedeco.cuda.global.cudnn.class);
            return null;
        } catch (Throwable t) {
            return "cuDNN 9 (libcudnn.so.9, built against 9.19 for CUDA 13) could not be loaded: " + describe(t)
                    + ". Install it (e.g. apt install cudnn9-cuda-13, or pip install nvidia-cudnn-cu13) and put it on "
                    + "LD_LIBRARY_PATH, " + REDIST;
        }
    }

    /** "9.19.0" from cudnnGetVersion(); call only after {@link #cudnnProblem()} returned null. */
    static String cudnnVersion() {
        long v = org.bytedeco.cuda.global.cudnn.cudnnGetVersion();
        return (v / 10000) + "." + (v % 10000) / 100 + "." + (v % 100);
    }

    private static String describe(Throwable t) {
        var root = t;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }
}
