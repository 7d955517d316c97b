#!/bin/bash
# Runs INSIDE a lab VM, sent by labctl over one ssh connection (`bash -s -- COMMAND POOL...`).
#   ensure-pools POOL...  import or create the pools that are missing (used by `labctl up`)
#   reset POOL...         back to the baseline without a reboot (used by `labctl reset`)
#   memwatch-start        start the memory sampler of this boot, unless it runs (used by `labctl up`)
#   memwatch-reset        forget the high-water marks so far
#   memwatch-report       one line: total_kib used_kib peak_at arc_bytes arc_max_bytes sunreclaim_kib since
# Each pool lives on its own virtio disk whose serial is the pool name (/dev/disk/by-id/virtio-POOL).
set -euo pipefail

say() { echo "$(hostname): $*"; }

wait_all() {
  local pid failed=0
  for pid in "$@"; do wait "$pid" || failed=1; done
  return "$failed"
}

create_pool() {
  local pool=$1 disk=/dev/disk/by-id/virtio-$1 attempt
  # A pool just destroyed leaves udev re-reading its disk: the by-id link can
  # be missing for a moment and `zpool create` then fails ("no such pool or
  # dataset"). Wait for udev, and try again a few times.
  for attempt in 1 2 3 4; do
    udevadm settle --timeout=30 2>/dev/null || true
    if [ -b "$disk" ]; then
      # `rpool` here is a data pool on an extra disk: the VM's root file system is ext4.
      zpool create -f -o ashift=12 -O compression=lz4 -O atime=off -m "/$pool" "$pool" "$disk" && return 0
    fi
    sleep "$attempt"
  done
  echo "$(hostname): could not create pool $pool on $disk" >&2
  return 1
}

ensure_pools() {
  local pool
  for pool in "$@"; do
    if zpool list -H -o name "$pool" >/dev/null 2>&1; then
      continue
    elif zpool import -f "$pool" >/dev/null 2>&1; then
      say "imported pool $pool"
    else
      create_pool "$pool"
      say "created pool $pool"
    fi
  done
}

stop_activity() {
  systemctl stop syncoid.service sanoid.service sanoid-prune.service 2>/dev/null || true
  systemctl reset-failed syncoid.service sanoid.service 2>/dev/null || true
  pkill -x syncoid 2>/dev/null || true
  pkill -x sanoid 2>/dev/null || true
  # A client mount of another VM's share must not outlive that VM's pools.
  umount -a -f -l -t nfs,nfs4 2>/dev/null || true
}

reset_config() {
  # Everything in /etc/sanoid: the files, zfs-fleet's backups (*.zfs-fleet.bak),
  # its lock and leftover temporary files (.zfs-fleet*).
  find /etc/sanoid -mindepth 1 -maxdepth 1 -exec rm -rf {} + 2>/dev/null || true
  rm -rf /var/cache/sanoid/* /run/sanoid/* 2>/dev/null || true
  rm -f /etc/exports.d/*
  echo '# zfs-fleet-lab baseline: no exports (ZFS writes /etc/exports.d/zfs.exports)' >/etc/exports
  # authorized_keys, known_hosts, /etc/hosts, sshd and the private address as laid at boot.
  bash /run/zfslab-identity/setup /run/zfslab-identity >/dev/null
}

reset() {
  stop_activity
  exportfs -ua 2>/dev/null || true
  local pool
  # Pools are destroyed and created concurrently: each waits on its own transaction groups.
  local pids=()
  for pool in $(zpool list -H -o name); do
    zpool destroy -f "$pool" &
    pids+=($!)
  done
  wait_all "${pids[@]}"
  reset_config
  # Created afresh, never imported: a pool a test exported must not come back with its datasets.
  pids=()
  for pool in "$@"; do
    create_pool "$pool" &
    pids+=($!)
  done
  wait_all "${pids[@]}"
  systemctl start nfs-server.service
  exportfs -ra
  say "reset: pools $(zpool list -H -o name | tr '\n' ' ')"
}

# The memory sampler: once a second, with shell builtins only (no process per sample), the kernel's
# view of used memory (MemTotal - MemAvailable), the ARC's size and the unreclaimable slab, keeping
# each one's high-water mark in /run (gone with the boot, like what it measures).
readonly MEMWATCH=/run/zfslab-memwatch
memwatch_loop() {
  local k v _ total=0 avail=0 slab=0 arc=0 arcmax=0 used peak_used=0 peak_at=0 peak_arc=0 peak_slab=0 since
  since=$EPOCHSECONDS
  [ -f "$MEMWATCH.reset" ] && since=$(<"$MEMWATCH.reset")
  # A pipe nobody writes to: `read -t 1` on it is a one-second sleep without a process.
  exec 3<> <(:)
  while :; do
    if [ -f "$MEMWATCH.reset" ] && [ "$(<"$MEMWATCH.reset")" != "$since" ]; then
      since=$(<"$MEMWATCH.reset") peak_used=0 peak_arc=0 peak_slab=0
    fi
    while read -r k v _; do
      case $k in MemTotal:) total=$v ;; MemAvailable:) avail=$v ;; SUnreclaim:) slab=$v ;; esac
    done </proc/meminfo
    while read -r k _ v; do
      case $k in size) arc=$v ;; c_max) arcmax=$v ;; esac
    done </proc/spl/kstat/zfs/arcstats
    used=$((total - avail))
    local changed=no
    if [ "$used" -gt "$peak_used" ]; then peak_used=$used peak_at=$EPOCHSECONDS changed=yes; fi
    if [ "$arc" -gt "$peak_arc" ]; then peak_arc=$arc changed=yes; fi
    if [ "$slab" -gt "$peak_slab" ]; then peak_slab=$slab changed=yes; fi
    if [ "$changed" = yes ] || [ ! -f "$MEMWATCH" ]; then
      echo "$total $peak_used $peak_at $peak_arc $arcmax $peak_slab $since" >"$MEMWATCH.tmp"
      mv -f "$MEMWATCH.tmp" "$MEMWATCH"
    fi
    read -r -t 1 -u 3 _ || true
  done
}

memwatch_start() {
  systemctl is-active --quiet zfslab-memwatch.service && return 0
  { declare -f memwatch_loop; echo "readonly MEMWATCH=$MEMWATCH"; echo memwatch_loop; } >/run/zfslab-memwatch.sh
  systemd-run --quiet --unit=zfslab-memwatch --collect -p Nice=10 bash /run/zfslab-memwatch.sh
}

memwatch_reset() {
  date +%s >"$MEMWATCH.reset"
  sleep 2
}

memwatch_report() {
  [ -f "$MEMWATCH" ] || { echo "no memory sample yet" >&2; exit 1; }
  cat "$MEMWATCH"
}

main() {
  local cmd=$1
  shift
  case "$cmd" in
    ensure-pools) ensure_pools "$@" ;;
    reset) reset "$@" ;;
    memwatch-start) memwatch_start ;;
    memwatch-reset) memwatch_reset ;;
    memwatch-report) memwatch_report ;;
    *) echo "lab-vm.sh: unknown command $cmd" >&2; exit 2 ;;
  esac
}

main "$@"
