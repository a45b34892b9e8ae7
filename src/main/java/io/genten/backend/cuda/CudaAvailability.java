package io.genten.backend.cuda;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;

/**
 * Whether the CUDA backend can run here, and if not exactly why: computed once, lazily, never
 * throwing. {@code available} needs libgenten_cuda.so, a driver with a device, and cuBLAS (linear
 * layers); cuDNN is needed only by {@code ConvImpl.CUDNN} / {@code BatchNormImpl.CUDNN} and is
 * reported in {@code cudnnStatus}.
 */
public record CudaAvailability(boolean available, String reason, String libraryPath, int deviceCount,
                               String deviceName, String capability, String driverVersion, String runtimeVersion,
                               String cublasStatus, boolean cudnnAvailable, String cudnnStatus) {

    private static final class Holder {
        static final CudaAvailability VALUE = probe();
    }

    /** The process-wide answer. */
    public static CudaAvailability get() { return Holder.VALUE; }

    /** One line for logs and {@code genten info}. */
    public String describe() {
        if (!available) return "cuda: unavailable: " + reason;
        return "cuda: " + deviceCount + " device(s), cuda:0 " + deviceName + " (sm_" + capability + "), driver "
                + driverVersion + ", runtime " + runtimeVersion + ", cuBLAS " + cublasStatus + ", cuDNN " + cudnnStatus
                + ", library " + libraryPath;
    }

    static CudaAvailability unavailable(String reason, String path) {
        return new CudaAvailability(false, reason, path, 0, null, null, null, null, null, false, null);
    }

    private static CudaAvailability probe() {
        var lib = NativeLibrary.status();
        String path = lib.path() == null ? null : lib.path().toString();
        if (!lib.loaded()) return unavailable(lib.reason(), path);
        try (var arena = Arena.ofConfined()) {
            var a = arena.allocate(JAVA_INT);
            var b = arena.allocate(JAVA_INT);
            int status = Native.deviceCount(a);
            if (status != 0) {
                return unavailable("no usable CUDA driver or device: " + CudaStatus.errorString(status) + " (status "
                        + status + ", from libgenten_cuda.so at " + path + "); check that an NVIDIA GPU and a driver for CUDA "
                        + "13 are present (nvidia-smi)", path);
            }
            int count = a.get(JAVA_INT, 0);
            if (count == 0) return unavailable("the CUDA driver reports no device", path);
            var name = arena.allocate(256);
            CudaStatus.check(Native.deviceName(0, name, 256), "genten_device_name");
            CudaStatus.check(Native.deviceCapability(0, a, b), "genten_device_capability");
            String capability = a.get(JAVA_INT, 0) + "" + b.get(JAVA_INT, 0);
            CudaStatus.check(Native.versions(a, b), "genten_versions");
            String runtime = version(a.get(JAVA_INT, 0)), driver = version(b.get(JAVA_INT, 0));
            String cublasProblem = JavaCppLibraries.cublasProblem();
            String cudnnProblem = JavaCppLibraries.cudnnProblem();
            String cudnn = cudnnProblem == null ? JavaCppLibraries.cudnnVersion() : cudnnProblem;
            return new CudaAvailability(cublasProblem == null, cublasProblem, path, count, name.getString(0), capability,
                    driver, runtime, cublasProblem == null ? "loaded" : cublasProblem, cudnnProblem == null, cudnn);
        } catch (RuntimeException | LinkageError e) {
            return unavailable("libgenten_cuda.so at " + path + " failed its first calls: " + e, path);
        }
    }

    /** 13000 -> "13.0" (CUDA's 1000 * major + 10 * minor). */
    static String version(int v) { return (v / 1000) + "." + (v % 1000) / 10; }
}
