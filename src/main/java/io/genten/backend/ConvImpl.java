package io.genten.backend;

/** Which implementation runs a convolution on the GPU: our kernels or cuDNN. */
public enum ConvImpl { NATIVE, CUDNN }
