#!/usr/bin/env bash
# Points the lab stacks (lab-off1, lab-off2, lab-ovh3) at the running lab:
# copies each VM's port and host key, and the lab's root key as a secret,
# from the lab's lab.json into the stack config. Idempotent: a value that is
# already right is left alone, so the stack files only change with the lab.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh

lab_json=${ZFSLAB_JSON:-$(lab/labctl env)}
[[ -f "$lab_json" ]] || { echo "lab-stacks: no $lab_json: run 'make lab-up' first" >&2; exit 1; }

set_if_changed() { # stack key value [--secret]
  local stack=$1 key=$2 value=$3; shift 3
  if [[ "$(pulumi config get --path "$key" -s "$stack" 2>/dev/null)" != "$value" ]]; then
    printf '%s' "$value" | pulumi config set --path "$key" -s "$stack" "$@" --non-interactive >/dev/null
  fi
}

for host in $(jq -r '.hosts | keys[]' "$lab_json"); do
  stack="lab-$host"
  pulumi stack select --create "$stack" --non-interactive >/dev/null 2>&1 ||
    pulumi stack init "$stack" --non-interactive >/dev/null
  set_if_changed "$stack" "zfs-fleet:hosts.$host.port" "$(jq -r ".hosts.\"$host\".port" "$lab_json")"
  set_if_changed "$stack" "zfs-fleet:hosts.$host.hostKey" "$(jq -r ".hosts.\"$host\".hostKey" "$lab_json")"
  set_if_changed "$stack" "zfs-fleet:sshPrivateKey" "$(cat "$(jq -r ".hosts.\"$host\".privateKeyPath" "$lab_json")")" --secret
  echo "lab-stacks: $stack -> 127.0.0.1:$(jq -r ".hosts.\"$host\".port" "$lab_json") (host key pinned)"
done
