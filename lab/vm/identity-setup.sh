#!/bin/bash
# Runs INSIDE a lab VM, at every boot (zfslab-identity.service, before sshd and networkd) and at every
# `labctl reset`: lays down this VM's identity and the lab's baseline access from the archive labctl
# built for it (lab/labctl, make_identity). Idempotent; restarts nothing.
#
#   identity.env             LAB_HOSTNAME, LAB_ADDRESS, LAB_PREFIX, LAB_PRIVATE_MAC
#   ssh_host_ed25519_key*    this VM's host key (stable for the life of the run dir)
#   root_id_ed25519*         this VM's root client key (syncoid, pushes between VMs)
#   root_authorized_keys     the test machine's key and every VM's root key
#   known_hosts              every VM's host key under off1, off1.openfoodfacts.org, 10.0.0.1, ...
#   hosts                    /etc/hosts
#   operators/USER.keys      authorized_keys of USER on this VM
set -euo pipefail

src=${1:-/run/zfslab-identity}
# shellcheck source=/dev/null
. "$src/identity.env"

hostname_file() {
  echo "$LAB_HOSTNAME" >/etc/hostname
  hostname "$LAB_HOSTNAME"
  cp "$src/hosts" /etc/hosts
}

host_key() {
  rm -f /etc/ssh/ssh_host_rsa_key* /etc/ssh/ssh_host_ecdsa_key*
  install -m 600 "$src/ssh_host_ed25519_key" /etc/ssh/ssh_host_ed25519_key
  install -m 644 "$src/ssh_host_ed25519_key.pub" /etc/ssh/ssh_host_ed25519_key.pub
  cat >/etc/ssh/sshd_config.d/zfslab.conf <<'EOF'
# zfs-fleet-lab: one host key per VM; room for multiplexed sessions and parallel tests.
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
MaxSessions 64
MaxStartups 64:30:128
EOF
}

root_access() {
  install -d -m 700 /root/.ssh
  install -m 600 "$src/root_authorized_keys" /root/.ssh/authorized_keys
  install -m 600 "$src/root_id_ed25519" /root/.ssh/id_ed25519
  install -m 644 "$src/root_id_ed25519.pub" /root/.ssh/id_ed25519.pub
  install -m 644 "$src/known_hosts" /root/.ssh/known_hosts
}

operator_access() {
  local keys user home
  for keys in "$src"/operators/*.keys; do
    [ -e "$keys" ] || continue
    user=$(basename "$keys" .keys)
    home=$(getent passwd "$user" | cut -d: -f6) || continue
    install -d -m 700 -o "$user" -g "$user" "$home/.ssh"
    install -m 600 -o "$user" -g "$user" "$keys" "$home/.ssh/authorized_keys"
    install -m 644 -o "$user" -g "$user" "$src/known_hosts" "$home/.ssh/known_hosts"
  done
}

private_network() {
  cat >/etc/systemd/network/10-lab-private.network <<EOF
# zfs-fleet-lab private segment (the operators' 10.0.0.0/28), matched by this VM's MAC.
[Match]
MACAddress=$LAB_PRIVATE_MAC

[Network]
Address=$LAB_ADDRESS/$LAB_PREFIX
LinkLocalAddressing=no
IPv6AcceptRA=no
EOF
}

hostname_file
host_key
root_access
operator_access
private_network
echo "zfslab-identity: $LAB_HOSTNAME $LAB_ADDRESS/$LAB_PREFIX"
