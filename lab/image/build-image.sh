#!/bin/bash
# Builds the lab's VM image into OUT_DIR: base.qcow2 (ext4 root), vmlinuz, initrd.img, image.json.
# Debian bookworm with OpenZFS from contrib (zfs.ko built by DKMS in the chroot), sshd, sanoid/syncoid,
# an NFS server and the operators' syncoid.service. Nothing here is per-VM: off1, off2 and ovh3 get
# their identity at boot (see rootfs/usr/local/sbin/zfslab-identity).
#
# Every file under lab/image/ is part of the image id: changing any of them rebuilds the image.
# Usage: build-image.sh OUT_DIR   (OUT_DIR must not exist; labctl renames it into the cache when done)
set -euo pipefail

readonly OUT_DIR=${1:?usage: build-image.sh OUT_DIR}
readonly HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly MIRROR=${ZFSLAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
readonly SECURITY_MIRROR=${ZFSLAB_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
readonly SUITE=bookworm
readonly ROOT_SIZE=4G
readonly ROOTFS="$OUT_DIR/rootfs"

# Packages debootstrap installs with the base system (main only).
readonly BASE_PACKAGES=openssh-server,sanoid,nfs-kernel-server,sudo,lzop,mbuffer,pv,ca-certificates
# Installed from inside the chroot once contrib is enabled; zfs-dkms builds zfs.ko for this kernel.
readonly KERNEL_PACKAGES="linux-image-amd64 linux-headers-amd64"
readonly ZFS_PACKAGES="zfs-dkms zfsutils-linux"
readonly OPERATORS="off1operator off2operator ovh3operator"

log() { printf '%s image: %s\n' "$(date -u +%H:%M:%S)" "$*"; }

mounted=()
unmount_chroot() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount -l "${mounted[$i]}" 2>/dev/null || true
  done
  mounted=()
}
trap unmount_chroot EXIT

mount_chroot() {
  mount -t proc proc "$ROOTFS/proc" && mounted+=("$ROOTFS/proc")
  mount -t sysfs sysfs "$ROOTFS/sys" && mounted+=("$ROOTFS/sys")
  mount --bind /dev "$ROOTFS/dev" && mounted+=("$ROOTFS/dev")
  mount --bind /dev/pts "$ROOTFS/dev/pts" && mounted+=("$ROOTFS/dev/pts")
}

in_chroot() {
  chroot "$ROOTFS" /usr/bin/env -i \
    PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive "$@"
}

bootstrap() {
  log "debootstrap $SUITE (base + $BASE_PACKAGES), about 2 minutes"
  debootstrap --include="$BASE_PACKAGES" "$SUITE" "$ROOTFS" "$MIRROR" >"$OUT_DIR/debootstrap.log" 2>&1 || {
    tail -n 30 "$OUT_DIR/debootstrap.log" >&2
    return 1
  }
}

install_zfs() {
  rm -f "$ROOTFS/etc/apt/sources.list"
  cat >"$ROOTFS/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # No daemon may start inside the chroot.
  printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"
  chmod 755 "$ROOTFS/usr/sbin/policy-rc.d"
  cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"

  mount_chroot
  log "apt-get update in the chroot (main contrib)"
  in_chroot apt-get update -q >"$OUT_DIR/apt.log" 2>&1
  log "installing $KERNEL_PACKAGES, about 1.5 minutes"
  in_chroot apt-get install -y -q $KERNEL_PACKAGES >>"$OUT_DIR/apt.log" 2>&1 || {
    tail -n 30 "$OUT_DIR/apt.log" >&2
    return 1
  }
  log "installing $ZFS_PACKAGES: DKMS compiles zfs.ko, about 8 minutes"
  in_chroot apt-get install -y -q $ZFS_PACKAGES >>"$OUT_DIR/apt.log" 2>&1 || {
    tail -n 30 "$OUT_DIR/apt.log" >&2
    return 1
  }

  local kver
  kver=$(ls "$ROOTFS/lib/modules" | sort -V | tail -n 1)
  if ! ls "$ROOTFS/lib/modules/$kver/updates/dkms/"zfs.ko* >/dev/null 2>&1; then
    log "zfs.ko missing for $kver after install: running dkms autoinstall"
    in_chroot dkms autoinstall -k "$kver" >>"$OUT_DIR/apt.log" 2>&1
  fi
  ls "$ROOTFS/lib/modules/$kver/updates/dkms/"zfs.ko* >/dev/null
  in_chroot depmod -a "$kver"
  in_chroot apt-get clean
  unmount_chroot
  rm -f "$ROOTFS/usr/sbin/policy-rc.d"
  echo "$kver" >"$OUT_DIR/kernel-version"
  log "zfs.ko built for kernel $kver"
}

configure() {
  log "configuring the root filesystem"
  cp -a "$HERE/rootfs/." "$ROOTFS/"
  chown -R root:root "$ROOTFS/usr/local/sbin" "$ROOTFS/etc/systemd" "$ROOTFS/etc/modules-load.d" \
    "$ROOTFS/etc/modprobe.d/zfs.conf" "$ROOTFS/etc/sysctl.d/90-zfslab.conf"

  echo '/dev/vda / ext4 defaults,noatime,errors=remount-ro 0 1' >"$ROOTFS/etc/fstab"
  echo lab >"$ROOTFS/etc/hostname"
  # The VMs have no way out (user-mode network with restrict=on); names come from /etc/hosts.
  printf '# zfs-fleet-lab: no resolver, names are in /etc/hosts\n' >"$ROOTFS/etc/resolv.conf"
  mkdir -p "$ROOTFS/etc/sanoid" "$ROOTFS/root/.ssh"
  chmod 700 "$ROOTFS/root/.ssh"
  # Each VM gets its own host key at boot; an image-wide key would make the three hosts one.
  rm -f "$ROOTFS"/etc/ssh/ssh_host_*

  local user
  for user in $OPERATORS; do
    in_chroot useradd --create-home --shell /bin/bash "$user"
    in_chroot passwd --lock "$user" >/dev/null
    install -d -m 700 -o "$(in_chroot id -u "$user")" -g "$(in_chroot id -g "$user")" \
      "$ROOTFS/home/$user/.ssh"
  done

  in_chroot systemctl enable zfslab-identity.service ssh.service systemd-networkd.service >/dev/null 2>&1
  in_chroot systemctl mask systemd-networkd-wait-online.service >/dev/null 2>&1
  # A deterministic, quiet boot: nothing runs on a timer. Tests run `sanoid --cron` and
  # `systemctl start syncoid.service` themselves.
  local timers
  timers=$(cd "$ROOTFS/etc/systemd/system/timers.target.wants" 2>/dev/null && ls || true)
  log "disabling timers: $(echo $timers)"
  rm -rf "$ROOTFS/etc/systemd/system/timers.target.wants"
  in_chroot systemctl disable cron.service e2scrub_reap.service >/dev/null 2>&1 || true
  in_chroot systemctl disable sanoid.timer >/dev/null 2>&1 || true
}

make_disk() {
  log "mke2fs -d: packing the root filesystem into a $ROOT_SIZE ext4 image"
  cp "$ROOTFS"/boot/vmlinuz-"$(cat "$OUT_DIR/kernel-version")" "$OUT_DIR/vmlinuz"
  cp "$ROOTFS"/boot/initrd.img-"$(cat "$OUT_DIR/kernel-version")" "$OUT_DIR/initrd.img"
  mke2fs -q -t ext4 -L lab-root -d "$ROOTFS" "$OUT_DIR/base.img" "$ROOT_SIZE"
  qemu-img convert -O qcow2 "$OUT_DIR/base.img" "$OUT_DIR/base.qcow2"
  rm -f "$OUT_DIR/base.img"

  local zfs_version sanoid_version
  zfs_version=$(chroot "$ROOTFS" dpkg-query -W -f '${Version}' zfsutils-linux)
  sanoid_version=$(chroot "$ROOTFS" dpkg-query -W -f '${Version}' sanoid)
  cat >"$OUT_DIR/image.json" <<EOF
{ "kernel": "$(cat "$OUT_DIR/kernel-version")", "zfsutils": "$zfs_version", "sanoid": "$sanoid_version",
  "built": "$(date -u +%Y-%m-%dT%H:%M:%SZ)" }
EOF
  rm -rf "$ROOTFS"
}

main() {
  [ ! -e "$OUT_DIR" ] || { echo "build-image.sh: $OUT_DIR already exists" >&2; exit 1; }
  mkdir -p "$OUT_DIR"
  local start=$SECONDS
  bootstrap
  install_zfs
  configure
  make_disk
  log "image built in $((SECONDS - start)) s: $(cat "$OUT_DIR/image.json" | tr -d '\n')"
}

main "$@"
