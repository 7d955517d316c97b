#!/bin/bash
# What `make test` runs, after `npm ci`. The slow parts overlap where nothing makes them wait:
#   0. the lab comes up in the background from the first second (`lab/labctl up`: the VM image is
#      built when its recipe changed, about 11 min cold, then the three VMs boot, about 2.5 min);
#   1. meanwhile the typecheck, the provider's build, the unit project (pure logic, about a minute)
#      and the toolchain (the Pulumi CLI, built from the Go module proxy when not cached: about
#      6 min cold, a second warm);
#   2. the engine project (the real Pulumi CLI on throwaway projects, no lab, CPU-bound) starts as
#      soon as the toolchain is there, side by side with the lab's boot and then the lab project
#      (the three VMs, one file at a time). The engine's 17 to 19 minutes (2026-12-02) cost the run
#      less beside the lab than after it, but they do slow the lab files they overlap (syncoid-engine
#      674 s beside it, 535 s with it mostly done). The engine runs at a lower
#      priority so that the VMs keep their share of the two cores; its lines are prefixed "[engine] ",
#      the lab's start-up lines "[lab up] ".
# Exit status: 0 when every project passed; otherwise 1, after the projects started have finished,
# naming the ones that failed.
set -uo pipefail
cd "$(dirname "$0")/.."

lab_up_log=$(mktemp /tmp/zfs-fleet-lab-up.XXXXXX.log)
( set -o pipefail; lab/labctl up 2>&1 | tee "$lab_up_log" | sed -u 's/^/[lab up] /' ) &
lab_up_pid=$!
# Whatever ends the run, the lab's start-up is not left running behind it (its VMs stay up, as always).
finish_lab_up() {
  kill -0 "$lab_up_pid" 2>/dev/null && echo "make test: waiting for the lab's start-up to finish (its VMs stay up for the next run)" >&2
  wait "$lab_up_pid" 2>/dev/null
}
trap finish_lab_up EXIT

make --no-print-directory typecheck build || { echo "make test: the typecheck or the build failed (no test run)" >&2; exit 1; }
vitest run --project unit || { echo "make test: the unit project failed (engine and lab not run)" >&2; exit 1; }
# At a lower priority: on a cold machine the CLI's Go build (6-7 min alone) would otherwise share the
# two cores evenly with the image build (11 min alone, 23 min shared), which is the longer road to the
# lab; niced, the image goes first and the CLI takes what the image build leaves (its downloads, its
# waits).
nice -n 10 make --no-print-directory toolchain || { echo "make test: the toolchain could not be provided (engine and lab not run)" >&2; exit 1; }
# The CLI's directory is known now (on a cold machine it was not when make sourced the environment).
source tools/env.sh

# The engine's lines are interleaved with the lab's as they come; a copy is kept so that, when the
# engine failed, its failures are printed again at the end, where a CI's tail of the output shows them.
engine_log=$(mktemp /tmp/zfs-fleet-engine.XXXXXX.log)
( set -o pipefail; nice -n 10 vitest run --project engine 2>&1 | tee "$engine_log" | sed -u 's/^/[engine] /' ) &
engine_pid=$!

# The lab project's global setup runs `labctl up` again: a no-op on a lab that came up, and the
# place where a lab that could not start fails the run, with labctl's reason.
wait "$lab_up_pid"
lab_up=$?
trap - EXIT
if [ "$lab_up" -ne 0 ]; then
  echo "make test: the lab's start-up in the background failed (exit $lab_up; its output: $lab_up_log); the lab project tries once more" >&2
else
  rm -f "$lab_up_log"
fi
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
