#!/usr/bin/env bash
# `make demo`: the main job against the embedded lab, step by step.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "1. Boot the lab: three OpenZFS VMs (off1, off2, ovh3); the first run builds the image (~12 min)"
lab/labctl up

step "2. Lay out the fleet as it was before the 2024-03 restructure"
lab/labctl reset
lab/labctl seed-legacy

step "3. Point the lab stacks at the VMs (host keys pinned, root key as a secret)"
tools/lab-stacks.sh

for host in off2 off1 ovh3; do
  step "4. pulumi preview of lab-$host"
  pulumi preview -s "lab-$host" --non-interactive --diff
done
