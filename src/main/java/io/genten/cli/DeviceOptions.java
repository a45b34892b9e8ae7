package io.genten.cli;

import io.genten.backend.BatchNormImpl;
import io.genten.backend.ConvImpl;
import io.genten.backend.MathMode;
import picocli.CommandLine.Option;

/** The options that pick and configure a backend, shared by every command that computes. */
public final class DeviceOptions {
    /** What --device asks for (see {@link io.genten.DeviceSelection.Preference}). */
    public enum DeviceChoice {
        /** The GPU when usable, else the CPU with the reason. */
        AUTO,
        /** The CPU. */
        CPU,
        /** The GPU, or a failure saying why not. */
        CUDA
    }

    /** The defaults: auto, strict FP32, our kernels; picocli fills in the options given. */
    public DeviceOptions() {}

    @Option(names = "--device", defaultValue = "auto", description = "auto | cpu | cuda (default: ${DEFAULT-VALUE}); cuda fails loudly when no GPU is usable")
    DeviceChoice device = DeviceChoice.AUTO;

    @Option(names = "--math", defaultValue = "FP32", description = "FP32 | TF32 | FP32_3XTF32 on the GPU (default: ${DEFAULT-VALUE}); the CPU is always strict FP32")
    MathMode math = MathMode.FP32;

    @Option(names = "--conv", defaultValue = "NATIVE", description = "NATIVE | CUDNN convolution on the GPU (default: ${DEFAULT-VALUE})")
    ConvImpl conv = ConvImpl.NATIVE;

    @Option(names = "--batchnorm", defaultValue = "NATIVE", description = "NATIVE | CUDNN batch normalization on the GPU (default: ${DEFAULT-VALUE})")
    BatchNormImpl batchNorm = BatchNormImpl.NATIVE;
}
