#!/usr/bin/env bash
# Builds and runs the emulator's native checks (CMake build dir given, default target/native-build):
# the emulator's own checks (schedules and a planted race, warp operations, mma fragments, graphs),
# the kernel self-test on the emulator, the planted faults (__trap, a warp deadlock) that must be
# reported naming their kernel, and with AddressSanitizer the self-test again plus a planted
# out-of-bounds read that must be caught. Exit status 0 = every check behaved.
set -uo pipefail
build=${1:-target/native-build}
root=$(cd "$(dirname "$0")/../.." && pwd)
log=$build/emulator-checks.log
asan=${GENTEN_EMU_ASAN:-1}
targets="simt_checks genten_selftest_emu"
[ "$asan" = 1 ] && targets="$targets simt_checks_asan selftest_asan"
cmake --build "$build" -j2 --target $targets > "$log" 2>&1 || { tail -40 "$log"; exit 1; }
status=0
run() {  # run NAME EXPECT(0|fail) PATTERN CMD...
  local name=$1 expect=$2 pattern=$3; shift 3
  local out rc
  out=$("$@" 2>&1); rc=$?
  echo "$out" >> "$log"
  if [ "$expect" = 0 ] && [ $rc -ne 0 ]; then echo "emulator check $name FAILED (exit $rc):"; echo "$out" | tail -20; status=1; return; fi
  if [ "$expect" = fail ] && [ $rc -eq 0 ]; then echo "emulator check $name FAILED: the planted fault went unnoticed"; status=1; return; fi
  if [ -n "$pattern" ] && ! echo "$out" | grep -q -- "$pattern"; then
    echo "emulator check $name FAILED: output lacks '$pattern':"; echo "$out" | tail -20; status=1; return
  fi
  echo "emulator check $name: ok$( [ "$expect" = fail ] && echo ' (planted fault caught)')"
}
start=$(date +%s)
run simt_checks 0 "all passed" "$build/simt_checks"
run trap 0 "trap_kernel" "$build/simt_checks" trap
run warp-deadlock 0 "warp_deadlock_kernel" "$build/simt_checks" deadlock
for schedule in forward reverse shuffled; do
  run "selftest ($schedule)" 0 "all passed" env GENTEN_SIMT_SCHEDULE=$schedule "$build/genten_selftest_emu"
done
if [ "$asan" = 1 ]; then
  run "selftest (AddressSanitizer)" 0 "all passed" env ASAN_OPTIONS=detect_leaks=0 "$build/selftest_asan"
  run "out-of-bounds read (AddressSanitizer)" fail "report above is from kernel oob_kernel" \
      env ASAN_OPTIONS=detect_leaks=0 "$build/simt_checks_asan" oob
fi
echo "emulator checks: $(( $(date +%s) - start )) s, log in $log"
exit $status
