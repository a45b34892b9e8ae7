// Concatenation and slicing along dimension 1 (the conditional GAN's label channels and
// features): both are copies of `rows` contiguous blocks of `width` floats between two row
// pitches, one grid-stride kernel for either direction. The caller offsets the pointers to the
// first block. Floor: 8 B per float moved; at the model shapes (64 x 11 x 28 x 28) launch-bound.
#include "common.cuh"

using namespace genten;

namespace {

__global__ void copy_blocks_kernel(float* dst, int64_t dst_pitch, const float* src, int64_t src_pitch,
                                   int64_t rows, int64_t width) {
    const int64_t total = rows * width;
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        const int64_t r = i / width, c = i - r * width;
        dst[r * dst_pitch + c] = src[r * src_pitch + c];
    }
}

}  // namespace

extern "C" {

int genten_copy_blocks(float* dst, int64_t dst_pitch, const float* src, int64_t src_pitch, int64_t rows,
                       int64_t width, void* stream) {
    GT_REQUIRE(dst != nullptr && src != nullptr && rows > 0 && width > 0);
    GT_REQUIRE(dst_pitch >= width && src_pitch >= width);
    GT_LAUNCH(copy_blocks_kernel, grid_for(rows * width, 4), kThreads, 0, as_stream(stream))(dst, dst_pitch, src, src_pitch,
                                                                                       rows, width);
    GT_CHECK_LAUNCH();
    return 0;
}

}  // extern "C"
