// Internal interface between the emulator's runtime (runtime.cpp) and its kernel scheduler.
#pragma once

#include <memory>
#include <string>

#include "simt.h"

namespace simt {

// Checks a launch configuration as the CUDA runtime does: cudaSuccess or cudaErrorInvalidConfiguration.
cudaError_t check_config(const KernelTask& task, std::string* why);

// Runs every block of the launch to completion (blocks in parallel on the host threads); on a fault
// (__trap, a barrier or warp operation that can never complete) returns cudaErrorLaunchFailure and
// describes it in *why: kernel, launch site, block and thread.
cudaError_t run_kernel(const KernelTask& task, std::string* why);

}  // namespace simt
