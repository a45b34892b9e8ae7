/**
 * The CUDA backend: {@link io.genten.backend.cuda.CudaBackend} implements the Backend SPI with our
 * kernels (libgenten_cuda.so through FFM, {@code Native}), cuBLAS for linear layers and, when
 * chosen in {@link io.genten.backend.cuda.CudaOptions}, cuDNN for conv and batchnorm (JavaCPP).
 *
 * <p>Start with {@link io.genten.backend.cuda.CudaAvailability#get()}: it never throws and says
 * why CUDA is unavailable (library not built or not found, no driver or device, cuBLAS or cuDNN
 * missing, with the version needed and how to get it). Device memory goes through
 * {@link io.genten.backend.cuda.CachingAllocator}; whole steps can be captured with
 * {@link io.genten.backend.cuda.CudaGraph} after one eager warm-up step; and
 * {@link io.genten.backend.cuda.CudaTimer} times device work with events.
 *
 * <p>System properties: {@code genten.cuda.library} (path of the library),
 * {@code genten.cuda.poison} (fill new allocations with NaN), {@code genten.cuda.syncEachOp}
 * (synchronize after every op, so an asynchronous kernel fault names its op).
 */
package io.genten.backend.cuda;
