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

# The engine's lines are interleaved with the lab's as they come; a copy is kept so that, when the
# engine failed, its failures are printed again at the end, where a CI's tail of the output shows them.
engine_log=$(mktemp /tmp/zfs-fleet-engine.XXXXXX.log)
( set -o pipefail; nice -n 10 vitest run --project engine 2>&1 | tee "$engine_log" | sed -u 's/^/[engine] /' ) &
engine_pid=$!
vitest run --project lab
lab=$?
wait "$engine_pid"
engine=$?
if [ "$engine" -ne 0 ]; then
  echo
  echo "make test: the engine project failed; its failures (the whole output is in $engine_log):"
  text=$(sed 's/\x1b\[[0-9;]*m//g' "$engine_log")
  failures=$(printf '%s\n' "$text" | awk '/Failed Tests|FAIL /{on=1} on')
  [ -n "$failures" ] || failures=$(printf '%s\n' "$text" | tail -n 60)
  printf '%s\n' "$failures" | tail -n 250 | sed 's/^/[engine] /'
  echo "make test: the engine's failed tests, in short:"
  printf '%s\n' "$failures" | grep -E '^ *FAIL ' | sort -u | head -n 20 | sed 's/^/[engine] /'
else
  rm -f "$engine_log"
fi

failed=()
[ "$engine" -eq 0 ] || failed+=("engine (exit $engine)")
[ "$lab" -eq 0 ] || failed+=("lab (exit $lab)")
if [ "${#failed[@]}" -gt 0 ]; then
  echo "make test: failed: ${failed[*]}" >&2
  exit 1
fi
echo "make test: unit, engine and lab passed"
