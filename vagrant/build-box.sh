#!/usr/bin/env bash
# Build a Debian 12 Vagrant box for libvirt with everything the lab needs baked in,
# so VMs with no internet can be provisioned (used by `make test-vagrant`). Installs the
# host tools it runs (HOST_PACKAGES) when they are missing.
#
#   sudo vagrant/build-box.sh            # -> $MK_BOX_FILE, then `vagrant box add` it
#
# How: mmdebstrap a root filesystem (kernel, systemd, sshd, sudo, rsync, the
# project's Debian packages from scripts/setup.sh, apparmor - Docker refuses to
# start containers without it), add a `vagrant` user with Vagrant's insecure
# public key, bake a wheelhouse of the project's Python dependencies into
# /var/cache/minikube-py/wheels, write it to a whole-disk ext4 image booted by
# extlinux (loop devices here have no partitions), convert to qcow2 and pack the
# libvirt box. Services the lab starts itself (docker, etcd) are left disabled.
#
# Settings (environment): MK_BOX_FILE (output .box), MK_BOX_WORKDIR (scratch dir,
# removed afterwards), MK_BOX_DISK_GB (virtual disk size), MK_BOX_SOURCES (apt
# sources file for mmdebstrap; default: this host's).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BOX_FILE="${MK_BOX_FILE:-/var/tmp/minikube-py-debian12.box}"
WORKDIR="${MK_BOX_WORKDIR:-/var/tmp/minikube-py-box.$$}"
DISK_GB="${MK_BOX_DISK_GB:-8}"
SOURCES="${MK_BOX_SOURCES:-/etc/apt/sources.list.d/debian.sources}"
WHEELS=/var/cache/minikube-py/wheels
# shellcheck source=../scripts/setup.sh
source "$ROOT/scripts/setup.sh"          # PACKAGES (the project's Debian packages), install_packages
# What this script runs on the host; vagrant only for its insecure public key.
HOST_PACKAGES=(mmdebstrap e2fsprogs extlinux qemu-utils python3 python3-pip vagrant)
BASE=(systemd-sysv udev dbus linux-image-cloud-amd64 initramfs-tools openssh-server sudo
      rsync iputils-ping procps netbase apparmor)

log() { printf '\033[1m[build-box]\033[0m %s\n' "$*"; }
die() { log "error: $*" >&2; exit 1; }

cleanup() {
  mountpoint -q "$WORKDIR/mnt" 2>/dev/null && umount "$WORKDIR/mnt"
  rm -rf "$WORKDIR"
}
trap cleanup EXIT

prepare_host() {
  [ "$(id -u)" = 0 ] || die "run as root (mmdebstrap, mount)"
  install_packages "${HOST_PACKAGES[@]}"
  [ -r "$SOURCES" ] || die "no apt sources file $SOURCES (set MK_BOX_SOURCES)"
  VAGRANT_KEY="$(ls /usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant.pub 2>/dev/null | head -1)"
  [ -n "$VAGRANT_KEY" ] || die "Vagrant's insecure public key not found: apt-get install vagrant"
}

python_requirements() {
  # The project's runtime dependencies (pyproject.toml), plus what an editable install builds with.
  python3 -c 'import tomllib, sys
print("\n".join(tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]))' "$ROOT/pyproject.toml"
  printf '%s\n' "setuptools>=68" wheel pip
}

make_rootfs() {
  local packages
  packages="$(IFS=,; echo "${BASE[*]},${PACKAGES[*]}")"
  log "mmdebstrap: $packages"
  mmdebstrap --variant=apt --include="$packages" \
    --aptopt='APT::Install-Recommends "false"' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/cache/apt/archives/*.deb' \
    bookworm "$WORKDIR/rootfs" "$SOURCES"
}

configure_guest() {
  local r="$WORKDIR/rootfs"
  echo minikube-py > "$r/etc/hostname"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\tminikube-py\n' > "$r/etc/hosts"
  echo 'LABEL=root / ext4 defaults,noatime,errors=remount-ro 0 1' > "$r/etc/fstab"
  # The management NIC (eth0) by DHCP; Vagrant adds the lab NIC as networkd files too.
  printf '[Match]\nName=eth0\n[Network]\nDHCP=ipv4\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n' \
    > "$r/etc/systemd/network/10-mgmt.network"
  chroot "$r" systemctl enable systemd-networkd
  chroot "$r" systemctl mask systemd-networkd-wait-online.service apt-daily.timer \
    apt-daily-upgrade.timer e2scrub_reap.service
  # Started by provisioning where they belong (docker on nodes, our own etcd unit on the control plane).
  chroot "$r" systemctl disable docker.service docker.socket containerd.service etcd.service
  mkdir -p "$r/etc/systemd/journald.conf.d"
  printf '[Journal]\nStorage=volatile\n' > "$r/etc/systemd/journald.conf.d/10-small.conf"
  chroot "$r" useradd -m -s /bin/bash -U vagrant
  echo 'vagrant:vagrant' | chroot "$r" chpasswd
  echo 'vagrant ALL=(ALL) NOPASSWD:ALL' > "$r/etc/sudoers.d/vagrant"; chmod 0440 "$r/etc/sudoers.d/vagrant"
  install -d -m 700 -o 1000 -g 1000 "$r/home/vagrant/.ssh"
  install -m 600 -o 1000 -g 1000 "$VAGRANT_KEY" "$r/home/vagrant/.ssh/authorized_keys"
  echo 'UseDNS no' > "$r/etc/ssh/sshd_config.d/10-vagrant.conf"
  rm -rf "$r"/usr/share/doc/* "$r"/usr/share/man/* "$r"/usr/share/locale/*
}

bake_wheelhouse() {
  log "wheelhouse: downloading the project's Python dependencies"
  mkdir -p "$WORKDIR/rootfs$WHEELS"
  python_requirements > "$WORKDIR/requirements.txt"
  # Same Python (3.11, Debian 12) as the guest: wheels for this interpreter fit it.
  python3 -m pip download -q --only-binary=:all: -d "$WORKDIR/rootfs$WHEELS" -r "$WORKDIR/requirements.txt" \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

make_disk() {
  local kver image="$WORKDIR/disk.raw" mnt="$WORKDIR/mnt"
  kver="$(basename "$(ls "$WORKDIR"/rootfs/boot/vmlinuz-* | head -1)" | sed 's/^vmlinuz-//')"
  log "disk: ${DISK_GB} GiB whole-disk ext4, extlinux, kernel $kver"
  truncate -s "${DISK_GB}G" "$image"
  # Features extlinux cannot read are turned off.
  mkfs.ext4 -q -L root -O ^metadata_csum,^64bit,^orphan_file "$image"
  mkdir -p "$mnt"; mount -o loop "$image" "$mnt"
  cp -a "$WORKDIR/rootfs/." "$mnt/"
  mkdir -p "$mnt/boot/extlinux"
  printf 'DEFAULT linux\nPROMPT 0\nTIMEOUT 0\nLABEL linux\n  LINUX /boot/vmlinuz-%s\n  INITRD /boot/initrd.img-%s\n  APPEND root=LABEL=root ro console=ttyS0,115200 net.ifnames=0 biosdevname=0 quiet\n' \
    "$kver" "$kver" > "$mnt/boot/extlinux/extlinux.conf"
  extlinux --install "$mnt/boot/extlinux" >/dev/null
  fstrim "$mnt" 2>/dev/null || true
  umount "$mnt"
}

pack_box() {
  local out="$WORKDIR/box"
  mkdir -p "$out"
  log "qcow2 and box: $BOX_FILE"
  qemu-img convert -O qcow2 -c "$WORKDIR/disk.raw" "$out/box.img"
  printf '{"provider": "libvirt", "format": "qcow2", "virtual_size": %s}\n' "$DISK_GB" > "$out/metadata.json"
  printf 'Vagrant.configure("2") do |config|\n  config.vm.provider(:libvirt) { |lv| lv.disk_bus = "virtio" }\nend\n' \
    > "$out/Vagrantfile"
  mkdir -p "$(dirname "$BOX_FILE")"
  tar -C "$out" -czf "$BOX_FILE.tmp" metadata.json Vagrantfile box.img
  mv "$BOX_FILE.tmp" "$BOX_FILE"
}

main() {
  local start=$SECONDS
  prepare_host
  mkdir -p "$WORKDIR"
  make_rootfs
  configure_guest
  bake_wheelhouse
  make_disk
  pack_box
  log "done in $((SECONDS - start)) s: $BOX_FILE ($(du -h "$BOX_FILE" | cut -f1))"
}

main "$@"
