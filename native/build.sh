#!/usr/bin/env bash
# Called by Maven (process-classes): builds the native libraries with CMake and copies them into
# the jar's native/linux-x86_64/:
#  - libgenten_cuda_emu.so, the kernels on the SIMT emulator: always (needs cmake and a C++17
#    compiler; without them the build goes on and the emulated CUDA backend reports itself missing);
#  - libgenten_cuda.so, the kernels for the GPU: when nvcc is found (GENTEN_NVCC=none skips it).
set -euo pipefail
target=${1:?usage: build.sh TARGET_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v cmake >/dev/null; then
  echo "genten: cmake not found, building without the native libraries"; exit 0
fi
nvcc_bin=${GENTEN_NVCC:-$(command -v nvcc || true)}
[ -z "$nvcc_bin" ] && [ -x /usr/local/cuda/bin/nvcc ] && nvcc_bin=/usr/local/cuda/bin/nvcc
cuda_args=(-DGENTEN_CUDA=OFF)
if [ -n "$nvcc_bin" ] && [ "$nvcc_bin" != none ]; then
  cuda_args=(-DGENTEN_CUDA=ON -DCMAKE_CUDA_COMPILER="$nvcc_bin")
else
  echo "genten: nvcc not found (or GENTEN_NVCC=none): building only the emulator library"
fi
build="$target/native-build"
out="$target/classes/native/linux-x86_64"
mkdir -p "$build" "$out"
# appended, so an incremental rebuild ("nothing to do") keeps the ptxas report of the build before it
echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ) ==" >> "$target/native-build.log"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release "${cuda_args[@]}" >> "$target/native-build.log" 2>&1 \
  || { tail -40 "$target/native-build.log"; exit 1; }
cmake --build "$build" -j2 >> "$target/native-build.log" 2>&1 || { tail -40 "$target/native-build.log"; exit 1; }
cp "$build/libgenten_cuda_emu.so" "$out/"
echo "genten: built libgenten_cuda_emu.so (the kernels on the SIMT emulator)"
if [ -f "$build/libgenten_cuda.so" ] && [ "${cuda_args[0]}" = -DGENTEN_CUDA=ON ]; then
  cp "$build/libgenten_cuda.so" "$out/"
  echo "genten: built libgenten_cuda.so (log with the ptxas resource report: $target/native-build.log)"
else
  rm -f "$out/libgenten_cuda.so"
fi
