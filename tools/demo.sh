#!/usr/bin/env bash
# `make demo`: the 2024-03 restructure of the operators' report, replayed on
# the embedded lab as a reviewed change. Every step says what it does.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh

# Each step's header; the one before it gets its time (the figures of docs/ and the e2e test's log).
step_started=""
step_done() { [[ -z "$step_started" ]] || printf '    (%d s)\n' "$((SECONDS - step_started))"; }
step() { step_done; step_started=$SECONDS; printf '\n\033[1m==> %s\033[0m\n' "$*"; }
# The lab stacks in the order their references need (a host after the hosts it
# pulls from), as the fleet runner derives it from the fleet description.
mapfile -t stacks < <(node tools/fleet.ts stacks --lab)
[[ ${#stacks[@]} -gt 0 ]] || { echo "demo: tools/fleet.ts listed no stacks" >&2; exit 1; }
out=${ZFSFLEET_DEMO_OUT:-.pulumi/demo}  # the engine's JSON previews, for review and for the end-to-end test
mkdir -p "$out"

step "1/8 Boot the lab: three OpenZFS VMs (off1, off2, ovh3), about 2 min (the VM image is built once and cached)"
lab/labctl up

step "2/8 Lay the fleet out as it was before the restructure (datasets with files, sanoid/syncoid files, NFS share)"
lab/labctl seed-legacy   # resets the pools and config files first

step "3/8 Point the lab stacks at the VMs: host keys pinned, the lab's root key stored as a secret"
for s in "${stacks[@]}"; do
  # A fresh start: forget what an earlier demo recorded (the hosts were just re-seeded).
  pulumi stack rm --yes --force --preserve-config -s "$s" --non-interactive >/dev/null 2>&1 || true
done
tools/lab-stacks.sh

step "4/8 Adopt the legacy layout: a program that describes the fleet as it is (datasets, zfs allow, sanoid sections, syncoid lines with off2's old pushes, NFS shares); its first up changes nothing on the hosts"
for s in "${stacks[@]}"; do pulumi config set zfs-fleet:layout legacy -s "$s" --non-interactive; done
node tools/fleet.ts up --lab
for h in off1 off2 ovh3; do
  for f in sanoid.conf syncoid-args.conf; do
    [[ "$(lab/labctl ssh "$h" "sha256sum < /etc/sanoid/$f")" == "$(sha256sum < "lab/seed/legacy/$h/$f")" ]] ||
      { echo "$h: the adoption changed /etc/sanoid/$f" >&2; exit 1; }
  done
  echo "$h: sanoid.conf and syncoid-args.conf byte for byte as the operators left them"
done

step "5/8 Switch the program to the current fleet and review the change (pulumi preview --json, summarized)"
for s in "${stacks[@]}"; do pulumi config set zfs-fleet:layout current -s "$s" --non-interactive; done
node tools/fleet.ts preview --lab --json-dir "$out"

step "6/8 Apply it: zfs rename for every move (data and identities kept), sections and lines follow, pushes replaced by pulls"
node tools/fleet.ts up --lab

step "7/8 Verify on the hosts: every seeded dataset found by guid with every file's checksum, NFS exports, a pull as ovh3operator"
node tools/verify-lab.ts

step "8/8 A second preview shows no changes on all three stacks (a plain pulumi preview, with the policy pack)"
# The three previews read and change nothing, so they run side by side; each one's status is kept and
# every stack is reported, and the demo fails if any preview shows a change or fails.
declare -A preview_pid=()
for s in "${stacks[@]}"; do
  pulumi preview -s "$s" --non-interactive --expect-no-changes --policy-pack policy >"$out/$s.second-preview.log" 2>&1 &
  preview_pid[$s]=$!
done
converged=yes
for s in "${stacks[@]}"; do
  # `if`, not `&&`: under set -e a failure on the left of && would not stop the demo.
  if wait "${preview_pid[$s]}"; then
    echo "$s: no changes"
  else
    echo "$s: the second preview shows changes (or failed): the restructure did not converge; its output:" >&2
    tail -n 40 "$out/$s.second-preview.log" >&2
    converged=no
  fi
done
[[ $converged == yes ]] || exit 1
step_done
echo
echo "Done. The engine's previews are in $out/; the provider's command log is $ZFSFLEET_LOG_FILE."
