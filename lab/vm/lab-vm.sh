#!/bin/bash
# Runs INSIDE a lab VM, sent by labctl over one ssh connection (`bash -s -- COMMAND POOL...`).
#   ensure-pools POOL...  import or create the pools that are missing (used by `labctl up`)
#   reset POOL...         back to the baseline without a reboot (used by `labctl reset`): pools
#                         rewound to their baseline checkpoint when dirty, created afresh otherwise
#   seed-restore NAME HASH POOL...   rewind to a seed's checkpoint, or exit 3 (used by `labctl seed-*`)
#   seed-mark NAME HASH POOL...      checkpoint a seed just laid out
#   memwatch-start        start the memory sampler of this boot, unless it runs (used by `labctl up`)
#   memwatch-reset        forget the high-water marks so far
#   memwatch-report       one line: total_kib used_kib peak_at arc_bytes arc_max_bytes sunreclaim_kib since
# Each pool lives on its own virtio disk whose serial is the pool name (/dev/disk/by-id/virtio-POOL).
set -euo pipefail
shopt -s nullglob

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
  # Processes tests start in mount namespaces of their own (containers, as the hazard tests make
  # them) run as zfslab-holder-* units: they hold mounts that would keep a pool from being exported.
  systemctl stop syncoid.service sanoid.service sanoid-prune.service 'zfslab-holder-*' 2>/dev/null || true
  systemctl reset-failed syncoid.service sanoid.service 'zfslab-holder-*' 2>/dev/null || true
  pkill -x 'syncoid|sanoid' 2>/dev/null || true
  # A client mount of another VM's share must not outlive that VM's pools.
  umount -a -f -l -t nfs,nfs4 2>/dev/null || true
}

reset_config() {
  # Everything in /etc/sanoid: the files, zfs-fleet's backups (*.zfs-fleet.bak),
  # its lock and leftover temporary files (.zfs-fleet*).
  find /etc/sanoid -mindepth 1 -maxdepth 1 -exec rm -rf {} + 2>/dev/null || true
  rm -rf /var/cache/sanoid/* /run/sanoid/* 2>/dev/null || true
  # Containers' configuration as tests lay it down (the lab runs no Proxmox).
  rm -rf /etc/pve
  rm -f /etc/exports.d/*
  echo '# zfs-fleet-lab baseline: no exports (ZFS writes /etc/exports.d/zfs.exports)' >/etc/exports
  # authorized_keys, known_hosts, /etc/hosts, sshd and the private address as laid at boot: laid
  # again only when a test changed them (each install costs under emulation).
  if ! sha256sum --status -c "$STATE/identity.sums" 2>/dev/null; then
    bash /run/zfslab-identity/setup /run/zfslab-identity >/dev/null
    sha256sum /etc/hosts /etc/hostname /etc/ssh/sshd_config.d/zfslab.conf /etc/ssh/ssh_host_ed25519_key \
      /root/.ssh/authorized_keys /root/.ssh/id_ed25519 /root/.ssh/known_hosts \
      /home/*operator/.ssh/authorized_keys /home/*operator/.ssh/known_hosts \
      /etc/systemd/network/10-lab-private.network >"$STATE/identity.sums"
  fi
}

# What the pools' checkpoints hold (`zpool checkpoint`: the whole pool as it was, datasets, properties,
# delegations and all): "baseline" (empty pools, as reset makes them) or "seed:NAME:HASH" (a seed laid
# out, see `seed-restore`). Rewinding a pool to its checkpoint (export, import --rewind-to-checkpoint)
# takes seconds where destroying and creating it takes most of a minute under emulation.
readonly STATE=/var/lib/zfslab
marker() { cat "$STATE/checkpoint" 2>/dev/null || echo none; }

has_checkpoint() { [ "$(zpool get -H -p -o value checkpoint "$1" 2>/dev/null)" != "-" ] && zpool list -H "$1" >/dev/null 2>&1; }

all_checkpointed() {
  local pool
  for pool in "$@"; do has_checkpoint "$pool" || return 1; done
}

# A pool as reset left it: its root alone, the baseline's local properties, no delegation, nothing written.
pool_clean() {
  local pool=$1
  [ "$(zfs list -H -t all -o name -r "$pool" | wc -l)" -eq 1 ] || return 1
  [ -z "$(zfs allow "$pool")" ] || return 1
  [ "$(zfs get -H -s local,received -o property all "$pool" | LC_ALL=C sort | tr '\n' ' ')" = "atime compression mountpoint " ] || return 1
  [ "$(zfs get -Hp -o value referenced "$pool")" = "$(cat "$STATE/referenced-$pool" 2>/dev/null)" ]
}

rewind_pool() {
  local pool=$1
  zpool export -f "$pool" &&
    zpool import -f --rewind-to-checkpoint -d /dev/disk/by-id "$pool" &&
    zpool checkpoint "$pool"
}

# Checkpoints every pool anew and records what they hold.
checkpoint_pools() {
  local what=$1 pool
  shift
  for pool in "$@"; do
    # A discard runs in the background and a new checkpoint is refused until it is over ("currently
    # discarding checkpoint": seen on ovh3 after the seed was laid out): -w waits for it.
    zpool checkpoint -d -w "$pool" 2>/dev/null || true
    zpool checkpoint "$pool"
    zfs get -Hp -o value referenced "$pool" >"$STATE/referenced-$pool"
  done
  echo "$what" >"$STATE/checkpoint"
}

recreate_pools() {
  local pool pids=()
  for pool in $(zpool list -H -o name); do
    zpool destroy -f "$pool" &
    pids+=($!)
  done
  wait_all "${pids[@]}"
  # Created afresh, never imported: a pool a test exported must not come back with its datasets.
  pids=()
  for pool in "$@"; do
    create_pool "$pool" &
    pids+=($!)
  done
  wait_all "${pids[@]}"
  checkpoint_pools baseline "$@"
}

# Rewinds the pools given to their checkpoints, in parallel; fails if one cannot be.
rewind_pools() {
  local pool pids=()
  for pool in "$@"; do
    rewind_pool "$pool" &
    pids+=($!)
  done
  wait_all "${pids[@]}"
}

# The whole host as reset leaves it, asked with as few processes as possible (each costs a fraction of a
# second under emulation): then a reset has nothing to do.
host_clean() {
  [ "$(marker)" = baseline ] || return 1
  local f=(/etc/sanoid/* /etc/sanoid/.[!.]* /etc/exports.d/*)
  [ "${#f[@]}" -eq 0 ] && [ ! -e /etc/pve ] || return 1
  [ "$(</etc/exports)" = '# zfs-fleet-lab baseline: no exports (ZFS writes /etc/exports.d/zfs.exports)' ] || return 1
  local _dev _mnt fstype _rest
  while read -r _dev _mnt fstype _rest; do
    [[ $fstype == nfs || $fstype == nfs4 ]] && return 1
  done </proc/mounts
  ps -eo comm= | grep -qxE 'syncoid|sanoid' && return 1
  [ -z "$(systemctl list-units --no-legend --plain 'zfslab-holder-*')" ] || return 1
  sha256sum --status -c "$STATE/identity.sums" 2>/dev/null || return 1
  local wanted got
  wanted=$(printf '%s\n' "$@" | LC_ALL=C sort | tr '\n' ' ')
  got=$(zpool get -H -p -o name,value checkpoint | awk '$2 != "-" {print $1}' | LC_ALL=C sort | tr '\n' ' ')
  [ "$got" = "$wanted" ] && [ "$(zpool list -H -o name | wc -l)" -eq "$#" ] || return 1
  [ "$(zfs list -H -t all -o name | LC_ALL=C sort | tr '\n' ' ')" = "$wanted" ] || return 1
  local pool props="" refs=""
  for pool in "$@"; do
    props+="$pool atime $pool compression $pool mountpoint "
    refs+="$pool $(cat "$STATE/referenced-$pool" 2>/dev/null) "
  done
  [ "$(zfs get -H -s local,received -o name,property all | LC_ALL=C sort | tr '\t\n' '  ')" = "$props" ] || return 1
  [ "$(zfs get -Hp -o name,value referenced "$@" | tr '\t\n' '  ')" = "$refs" ] || return 1
  local grants
  grants=$(for pool in "$@"; do zfs allow "$pool" & done; wait)
  [ -z "$grants" ]
}

reset() {
  mkdir -p "$STATE"
  if host_clean "$@"; then
    say "reset: already at the baseline, nothing to do"
    return 0
  fi
  stop_activity
  exportfs -ua 2>/dev/null || true
  reset_config
  local pool
  # Pools a test made (a file vdev, say) go.
  for pool in $(zpool list -H -o name); do
    [[ " $* " == *" $pool "* ]] || zpool destroy -f "$pool"
  done
  if [ "$(marker)" = baseline ] && all_checkpointed "$@"; then
    local dirty=()
    for pool in "$@"; do pool_clean "$pool" || dirty+=("$pool"); done
    if [ "${#dirty[@]}" -gt 0 ] && ! rewind_pools "${dirty[@]}"; then
      say "rewinding ${dirty[*]} failed: creating the pools afresh"
      recreate_pools "$@"
    fi
    say "reset: rewound ${dirty[*]:-nothing} (the rest was clean)"
  else
    recreate_pools "$@"
    say "reset: pools created afresh"
  fi
  systemctl is-active --quiet nfs-server.service || systemctl start nfs-server.service
  exportfs -ra
  say "reset: pools $(zpool list -H -o name | tr '\n' ' ')"
}

# seed-restore NAME HASH POOL...: when the pools' checkpoints hold that seed, rewinds them to it (the
# same datasets with the same guids and files: the manifest of that seeding still holds) and exits 0;
# exits 3 when they do not, and the seed must be laid out (then `seed-mark`).
seed_restore() {
  local name=$1 hash=$2
  shift 2
  mkdir -p "$STATE"
  [ "$(marker)" = "seed:$name:$hash" ] && all_checkpointed "$@" || exit 3
  stop_activity
  exportfs -ua 2>/dev/null || true
  reset_config
  rewind_pools "$@" || { echo "none" >"$STATE/checkpoint"; exit 3; }
  systemctl start nfs-server.service
  exportfs -ra
  say "seed $name: rewound to its checkpoint"
}

seed_mark() {
  local name=$1 hash=$2
  shift 2
  mkdir -p "$STATE"
  checkpoint_pools "seed:$name:$hash" "$@"
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
    seed-restore) seed_restore "$@" ;;
    seed-mark) seed_mark "$@" ;;
    memwatch-start) memwatch_start ;;
    memwatch-reset) memwatch_reset ;;
    memwatch-report) memwatch_report ;;
    *) echo "lab-vm.sh: unknown command $cmd" >&2; exit 2 ;;
  esac
}

main "$@"
