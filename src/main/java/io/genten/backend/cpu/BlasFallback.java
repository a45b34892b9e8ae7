package io.genten.backend.cpu;

import java.util.Locale;

/**
 * Why a native GEMM library did not load, in words a user can act on. The failures come wrapped
 * (JavaCPP's loader throws from a static initializer: ExceptionInInitializerError with a null
 * message), so the innermost cause is what is named, followed by the likely fix.
 */
final class BlasFallback {
    private BlasFallback() {}

    /** @param library "oneDNN", "OpenBLAS", or a description when the library is unknown */
    static String explain(Throwable t, String library) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String what = root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
        return what + "; " + fix(root, library);
    }

    private static String fix(Throwable root, String library) {
        String arch = System.getProperty("os.name", "?") + "/" + System.getProperty("os.arch", "?");
        String message = String.valueOf(root.getMessage()).toLowerCase(Locale.ROOT);
        if (root instanceof IllegalCallerException || message.contains("native access")) {
            return "fix: run java with --enable-native-access=ALL-UNNAMED (on the module path: --enable-native-access=io.genten,org.bytedeco.javacpp)";
        }
        if (root instanceof Gemm.WrongResult) {
            return "fix: none needed, the next library or the Java GEMM computes instead (-Dgenten.cpu.blas=openblas or java picks one);"
                    + " please report the CPU (/proc/cpuinfo's model name and flags) and the library's version";
        }
        String artifact = switch (library) {
            case "oneDNN" -> "org.bytedeco:dnnl";
            case "OpenBLAS" -> "org.bytedeco:openblas";
            default -> "org.bytedeco:dnnl (or org.bytedeco:openblas)";
        };
        if (!arch.toLowerCase(Locale.ROOT).contains("linux/amd64") && !arch.toLowerCase(Locale.ROOT).contains("linux/x86_64")) {
            return "fix: Genten depends on " + artifact + "'s linux-x86_64 natives; on " + arch
                    + " add " + artifact + " with your platform's classifier to the dependencies";
        }
        return "fix: check that " + artifact + " and its linux-x86_64 jar are on the class path"
                + " (-Dgenten.cpu.blas=java selects the Java GEMM on purpose and silences this)";
    }
}
