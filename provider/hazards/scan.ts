// The hazard scan's remote command: one read-only round trip per host that
// gathers everything analyse.ts needs to tell what a move or a removal of a
// dataset would break on a live host. Import-free but for sh (the fixture
// capture, lab/capture-fixtures, prints it through tools/hazard-scan.ts).
//
// What it prints, each part after a marker line `@@zfs-fleet:<part>`:
//   host-ns         the mount namespace inode of PID 1
//   host-mountinfo  /proc/1/mountinfo: where each dataset is mounted, its
//                   dev numbers (NFS states name them), the host's peer groups
//   ps              `ps -eo pid,user,args -ww`
//   ns PID INODE    for each other mount namespace, its lowest PID, then
//   cgroup          that process's /proc/PID/cgroup and
//   mountinfo       its /proc/PID/mountinfo
//   pve             Proxmox container mount entries (`rootfs:`, `mpN:`), `file:line`
//   pve-storage     /etc/pve/storage.cfg (what `local-zfs:subvol-...` volumes are)
//   lxc             plain LXC `lxc.mount.entry` lines, `file:line`
//   client ID       each NFSv4 client of the server: its info, then
//   states          its open state (the superblock of each file it holds)
//   etab, rmtab     what nfsd exports, and NFSv3 mounts
//   allow DATASET   `zfs allow DATASET` (its block and its ancestors'): who may send it
// Everything is read; nothing is written. A part that does not exist on the
// host (no nfsd, no Proxmox) prints nothing.
import { type ShellCommand, sh } from "../transport/sh.ts";

export const MARK = "@@zfs-fleet:";

/** The scan, with `zfs allow` for each of `datasets` (the others are host-wide). */
export function scanCommand(datasets: readonly string[]): ShellCommand {
  return sh`export LC_ALL=C; M=@@zfs-fleet:
h=$(stat -L -c %i /proc/1/ns/mnt)
echo "\${M}host-ns"; echo "$h"
echo "\${M}host-mountinfo"; cat /proc/1/mountinfo
echo "\${M}ps"; ps -eo pid,user,args -ww
for p in $(stat -L -c '%n %i' /proc/[0-9]*/ns/mnt 2>/dev/null | awk -v h="$h" '$2 != h { split($1, f, "/"); if (!($2 in low) || f[3] + 0 < low[$2] + 0) low[$2] = f[3] } END { for (n in low) print low[n] }' | sort -n); do
  i=$(stat -L -c %i /proc/$p/ns/mnt 2>/dev/null) || continue
  echo "\${M}ns $p $i"
  echo "\${M}cgroup"; cat /proc/$p/cgroup 2>/dev/null
  echo "\${M}mountinfo"; cat /proc/$p/mountinfo 2>/dev/null
done
echo "\${M}pve"; for f in /etc/pve/lxc/*.conf; do [ -f "$f" ] && grep -H -E '^(rootfs|mp[0-9]+):' "$f"; done
echo "\${M}pve-storage"; cat /etc/pve/storage.cfg 2>/dev/null
echo "\${M}lxc"; for f in /var/lib/lxc/*/config; do [ -f "$f" ] && grep -H -E '^lxc\\.mount\\.entry' "$f"; done
for c in /proc/fs/nfsd/clients/*; do [ -d "$c" ] || continue
  echo "\${M}client \${c##*/}"; cat "$c/info" 2>/dev/null
  echo "\${M}states"; cat "$c/states" 2>/dev/null
done
echo "\${M}etab"; cat /var/lib/nfs/etab 2>/dev/null
echo "\${M}rmtab"; cat /var/lib/nfs/rmtab 2>/dev/null
for d in ${[...datasets]}; do echo "\${M}allow $d"; zfs allow "$d" 2>&1; done
echo "\${M}end"; true`;
}
