#!/usr/bin/env bash
# Called by Maven (process-classes): builds libgenten_cuda.so with CMake when nvcc is present
# and copies it into the jar's native/linux-x86_64/. Without nvcc the build goes on and the
# CUDA backend reports itself unavailable at run time.
set -euo pipefail
target=${1:?usage: build-if-nvcc.sh TARGET_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
nvcc_bin=$(command -v nvcc || true)
[ -z "$nvcc_bin" ] && [ -x /usr/local/cuda/bin/nvcc ] && nvcc_bin=/usr/local/cuda/bin/nvcc
if [ -z "$nvcc_bin" ]; then
  echo "genten: nvcc not found, building without the CUDA library"; exit 0
fi
if ! command -v cmake >/dev/null; then
  echo "genten: cmake not found, building without the CUDA library"; exit 0
fi
[ -f "$root/CMakeLists.txt" ] || { echo "genten: no CMakeLists.txt"; exit 0; }
build="$target/native-build"
mkdir -p "$build" "$target/classes/native/linux-x86_64"
# appended, so an incremental rebuild ("nothing to do") keeps the ptxas report of the build before it
echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ) ==" >> "$target/native-build.log"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_COMPILER="$nvcc_bin" >> "$target/native-build.log" 2>&1
cmake --build "$build" -j2 >> "$target/native-build.log" 2>&1 || { tail -40 "$target/native-build.log"; exit 1; }
cp "$build/libgenten_cuda.so" "$target/classes/native/linux-x86_64/"
echo "genten: built libgenten_cuda.so (log with the ptxas resource report: $target/native-build.log)"
