#!/bin/bash
# Runs INSIDE a lab VM, sent by labctl over one ssh connection (`bash -s -- COMMAND POOL...`).
#   ensure-pools POOL...  import or create the pools that are missing (used by `labctl up`)
#   reset POOL...         back to the baseline without a reboot (used by `labctl reset`)
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

main() {
  local cmd=$1
  shift
  case "$cmd" in
    ensure-pools) ensure_pools "$@" ;;
    reset) reset "$@" ;;
    *) echo "lab-vm.sh: unknown command $cmd" >&2; exit 2 ;;
  esac
}

main "$@"
