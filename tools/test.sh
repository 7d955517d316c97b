#!/bin/bash
# What `make test` runs (after the toolchain, the image, the typecheck and the build):
#   1. the unit project (pure logic, about a minute);
#   2. the engine project (the real Pulumi CLI on throwaway projects, no lab, CPU-bound) side by side
#      with the lab project (the three VMs, one file at a time). Neither needs the other, and the lab
#      files spend most of their time waiting on the emulated VMs, so running them together saves
#      the engine project's ten minutes or so from the run. The engine runs at a lower priority so
#      that the VMs keep their share of the two cores; its lines are prefixed with "[engine] ".
# Exit status: 0 when every project passed; otherwise 1, after both have finished, naming the ones
# that failed.
set -uo pipefail

vitest run --project unit || { echo "make test: the unit project failed (engine and lab not run)" >&2; exit 1; }

( nice -n 10 vitest run --project engine 2>&1 | sed -u 's/^/[engine] /' ) &
engine_pid=$!
vitest run --project lab
lab=$?
wait "$engine_pid"
engine=$?

failed=()
[ "$engine" -eq 0 ] || failed+=("engine (exit $engine)")
[ "$lab" -eq 0 ] || failed+=("lab (exit $lab)")
if [ "${#failed[@]}" -gt 0 ]; then
  echo "make test: failed: ${failed[*]}" >&2
  exit 1
fi
echo "make test: unit, engine and lab passed"
