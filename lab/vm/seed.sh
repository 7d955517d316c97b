#!/bin/bash
# Runs INSIDE a lab VM: applies a seed folder (lab/seed/<name>/<host>/, see its README.md) that labctl
# unpacked in SRC, then prints a manifest of every filesystem (guid, sha256 of the files directly in it):
#   MANIFEST <tab> dataset <tab> guid <tab> file-or-empty <tab> sha256-or-empty
set -euo pipefail

readonly SRC=${1:?usage: seed.sh SRC}
batch=()

say() { echo "$(hostname): $*" >&2; }

depth() { local slashes=${1//[^\/]/}; echo "${#slashes}"; }

# Siblings are created concurrently: their creates share transaction groups, which under emulation
# is several times faster than one `zfs create` after another.
flush_datasets() {
  [ "${#batch[@]}" -eq 0 ] && return 0
  local max=0 d line name level pids=() pid failed=0
  for line in "${batch[@]}"; do
    d=$(depth "${line%% *}")
    [ "$d" -gt "$max" ] && max=$d
  done
  for ((level = 1; level <= max; level++)); do
    pids=()
    for line in "${batch[@]}"; do
      read -r -a words <<<"$line"
      name=${words[0]}
      [ "$(depth "$name")" -eq "$level" ] || continue
      local opts=() prop
      for prop in "${words[@]:1}"; do opts+=(-o "$prop"); done
      zfs create -p "${opts[@]}" "$name" &
      pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    [ "$failed" -eq 0 ] || { say "zfs create failed at depth $level"; return 1; }
  done
  local names=()
  for line in "${batch[@]}"; do names+=("${line%% *}"); done
  local mountpoint
  while IFS=$'\t' read -r name mountpoint; do
    [ -d "$mountpoint" ] || continue
    head -c 4096 /dev/urandom >"$mountpoint/seed-a.bin"
    head -c 2048 /dev/urandom >"$mountpoint/seed-b.bin"
    echo "$(hostname) $name" >"$mountpoint/dataset.txt"
  done < <(zfs list -H -o name,mountpoint "${names[@]}")
  say "created ${#batch[@]} datasets with their files"
  batch=()
}

apply_layout() {
  local directive rest
  while read -r directive rest; do
    case "$directive" in
      '' | '#'*) continue ;;
      dataset) batch+=("$rest"); continue ;;
    esac
    flush_datasets
    read -r -a args <<<"$rest"
    case "$directive" in
      snapshot) zfs snapshot "${args[@]}" ;;
      clone)
        local opts=() prop
        for prop in "${args[@]:2}"; do opts+=(-o "$prop"); done
        zfs clone "${opts[@]}" "${args[0]}" "${args[1]}"
        ;;
      set) zfs set "${args[0]}" "${args[1]}" ;;
      allow) zfs allow "${args[0]}" "${args[1]}" "${args[2]}" ;;
      *) say "unknown directive '$directive'"; return 1 ;;
    esac
    say "$directive ${args[*]}"
  done <"$SRC/layout"
  flush_datasets
}

install_config() {
  local f
  for f in sanoid.conf syncoid-args.conf; do
    [ -f "$SRC/$f" ] && install -m 644 "$SRC/$f" "/etc/sanoid/$f"
  done
  return 0
}

manifest() {
  local name guid mountpoint file sum
  zfs list -H -t filesystem -o name,guid,mountpoint | while IFS=$'\t' read -r name guid mountpoint; do
    printf 'MANIFEST\t%s\t%s\t\t\n' "$name" "$guid"
    [ -d "$mountpoint" ] || continue
    find "$mountpoint" -maxdepth 1 -type f -printf '%f\n' | LC_ALL=C sort | while read -r file; do
      sum=$(sha256sum "$mountpoint/$file" | cut -d' ' -f1)
      printf 'MANIFEST\t%s\t%s\t%s\t%s\n' "$name" "$guid" "$file" "$sum"
    done
  done
}

# --config-only: the pools were rewound to this seed's checkpoint (lab-vm.sh seed-restore); only the
# configuration files, which live outside the pools, are laid down again.
if [ "${2:-}" = --config-only ]; then
  install_config
  exit 0
fi
apply_layout
install_config
manifest
