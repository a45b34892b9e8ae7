package io.genten.backend.cuda;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;

/**
 * Whether the CUDA backend can run here, and if not exactly why: computed once, lazily, never
 * throwing. {@code available} needs libgenten_cuda.so (or its emulator build, see
 * {@link NativeLibrary}) and a device; cuBLAS is needed only by {@code LinearImpl.CUBLAS} and cuDNN
 * only by {@code ConvImpl.CUDNN} / {@code BatchNormImpl.CUDNN}, each reported in its status.
 * {@code emulated}: the kernels run on the CPU through the SIMT emulator, where cuBLAS and cuDNN
 * (GPU-only libraries) are never used.
 *
 * @param available       whether a CudaBackend can be made
 * @param reason          why not (null when available)
 * @param libraryPath     where libgenten_cuda.so was loaded from, or null
 * @param deviceCount     the number of CUDA devices
 * @param deviceName      device 0's name
 * @param capability      device 0's compute capability, e.g. "90"
 * @param driverVersion   the driver's CUDA version
 * @param runtimeVersion  the CUDA runtime's version
 * @param emulated        whether the kernels run on the CPU emulator
 * @param cublasAvailable whether cuBLAS loaded
 * @param cublasStatus    cuBLAS's state or why it is missing
 * @param cudnnAvailable  whether cuDNN loaded
 * @param cudnnStatus     cuDNN's version or why it is missing
 */
public record CudaAvailability(boolean available, String reason, String libraryPath, int deviceCount,
                               String deviceName, String capability, String driverVersion, String runtimeVersion,
                               boolean emulated, boolean cublasAvailable, String cublasStatus,
                               boolean cudnnAvailable, String cudnnStatus) {

    private static final class Holder {
        static final CudaAvailability VALUE = probe();
    }

    /**
     * The process-wide answer.
     *
     * @return the availability, probed on the first call
     */
    public static CudaAvailability get() { return Holder.VALUE; }

    /**
     * One line for logs and {@code genten info}.
     *
     * @return the devices and library versions, or why CUDA is unavailable
     */
    public String describe() {
        if (!available) return "cuda: unavailable: " + reason;
        if (emulated) {
            return "cuda: emulated on the CPU: " + deviceName + " (sm_" + capability + " features), our kernels only"
                    + " (cuBLAS and cuDNN need a GPU), library " + libraryPath;
        }
        return "cuda: " + deviceCount + " device(s), cuda:0 " + deviceName + " (sm_" + capability + "), driver "
                + driverVersion + ", runtime " + runtimeVersion + ", cuBLAS " + cublasStatus + ", cuDNN " + cudnnStatus
                + ", library " + libraryPath;
    }

    static CudaAvailability unavailable(String reason, String path) {
        return new CudaAvailability(false, reason, path, 0, null, null, null, null, false, false, null, false, null);
    }

    private static final String NOT_EMULATED = "not used by the emulator (a GPU library)";

    private static CudaAvailability probe() {
        if (!NativeLibrary.emulatorRequested() && NativeLibrary.explicitPath() == null) {
            String noDriver = NvidiaDriver.missing();
            if (noDriver != null) return unavailable(noDriver, null);
        }
        var lib = NativeLibrary.status();
        String path = lib.path() == null ? null : lib.path().toString();
        if (!lib.loaded()) return unavailable(lib.reason(), path);
        try (var arena = Arena.ofConfined()) {
            var a = arena.allocate(JAVA_INT);
            var b = arena.allocate(JAVA_INT);
            CudaStatus.check(Native.emulated(a), "genten_emulated");
            boolean emulated = a.get(JAVA_INT, 0) != 0;
            int status = Native.deviceCount(a);
            if (status != 0) {
                return unavailable("no usable CUDA driver or device: " + CudaStatus.errorString(status) + " (status "
                        + status + ", from libgenten_cuda.so at " + path + "); check that an NVIDIA GPU and a driver for CUDA "
                        + "13 are present (nvidia-smi), or run the kernels on the CPU emulator with -D"
                        + NativeLibrary.EMULATOR_PROPERTY + "=true", path);
            }
            int count = a.get(JAVA_INT, 0);
            if (count == 0) return unavailable("the CUDA driver reports no device", path);
            var name = arena.allocate(256);
            CudaStatus.check(Native.deviceName(0, name, 256), "genten_device_name");
            CudaStatus.check(Native.deviceCapability(0, a, b), "genten_device_capability");
            String capability = a.get(JAVA_INT, 0) + "" + b.get(JAVA_INT, 0);
            CudaStatus.check(Native.versions(a, b), "genten_versions");
            String runtime = version(a.get(JAVA_INT, 0)), driver = version(b.get(JAVA_INT, 0));
            if (emulated) {
                return new CudaAvailability(true, null, path, count, name.getString(0), capability, "none (emulated)",
                        runtime + " (emulated)", true, false, NOT_EMULATED, false, NOT_EMULATED);
            }
            String cublasProblem = JavaCppLibraries.cublasProblem();
            String cudnnProblem = JavaCppLibraries.cudnnProblem();
            String cudnn = cudnnProblem == null ? JavaCppLibraries.cudnnVersion() : cudnnProblem;
            return new CudaAvailability(true, null, path, count, name.getString(0), capability, driver, runtime, false,
                    cublasProblem == null, cublasProblem == null ? "loaded" : cublasProblem, cudnnProblem == null, cudnn);
        } catch (RuntimeException | LinkageError e) {
            return unavailable("libgenten_cuda.so at " + path + " failed its first calls: " + e, path);
        }
    }

    /** 13000 -> "13.0" (CUDA's 1000 * major + 10 * minor). */
    static String version(int v) { return (v / 1000) + "." + (v % 1000) / 10; }
}
