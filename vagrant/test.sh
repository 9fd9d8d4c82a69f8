#!/usr/bin/env bash
# The Vagrant lab, tested for real on a machine whose VMs have no internet (`make test-vagrant`):
#
#  1. installs the host packages it needs when they are missing (scripts/setup.sh's
#     install_packages, as everything else here), builds the box if it is missing
#     (vagrant/build-box.sh, which installs its own tools), starts libvirt's daemons if they
#     are not running and defines a storage pool and two isolated libvirt networks
#     (no <forward>, no DNS: nothing a VM sends can leave this machine);
#  2. `vagrant up` of the control plane and MK_WORKERS (2) workers with software
#     emulation (libvirt driver qemu/TCG), in a Vagrant home and dot-dir of its own;
#  3. from the host: waits for every node Ready (curl http://192.168.56.10:6443/api/v1/nodes),
#     applies examples/hello.yaml, waits for its 3 replicas and reaches hello through its
#     NodePort on each worker;
#  4. always (trap), even when a step fails: destroys the VMs, removes the box and its
#     volumes, the domains, the pool and the networks by name (also leftovers of an earlier
#     run killed before its clean-up), stops the daemons it started and removes the
#     LIBVIRT_* iptables chains libvirt leaves behind.
set -euo pipefail

PROJECT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${MK_VAGRANT_WORKDIR:-/var/tmp/minikube-py-vagrant}"
BOX_FILE="${MK_BOX_FILE:-/var/tmp/minikube-py-debian12.box}"
BOX_NAME=minikube-py/debian12-offline
POOL=mkpy-vagrant
DOMAIN_PREFIX=mkpy-vagrant-              # libvirt domains: mkpy-vagrant-control-plane, -node1 ...
MGMT_NET=mkpy-vmgmt MGMT_BRIDGE=mkpyvmgmt0 MGMT_PREFIX=192.168.121
LAB_NET=mkpy-vlab LAB_BRIDGE=mkpyvlab0 LAB_PREFIX=192.168.56
API=http://$LAB_PREFIX.10:6443
WORKERS="${MK_WORKERS:-2}"
NODES=$((WORKERS + 1))                   # the control plane runs an agent too
STARTED_LIBVIRT=0
START=$SECONDS
# shellcheck source=../scripts/setup.sh
source "$PROJECT/scripts/setup.sh"       # install_packages: the project's one way to install packages
# Vagrant and its libvirt plugin, libvirt's daemons (dnsmasq-base: DHCP on the management
# network), QEMU and qemu-img (vagrant-libvirt makes the VMs' disks with it), the checks' tools.
HOST_PACKAGES=(vagrant vagrant-libvirt libvirt-daemon-system qemu-system-x86 qemu-utils dnsmasq-base
               rsync openssh-client curl python3)

export VAGRANT_HOME="$WORK/vagrant.d" VAGRANT_DOTFILE_PATH="$WORK/dotfile" VAGRANT_CHECKPOINT_DISABLE=1
export MK_WORKERS="$WORKERS" MK_CONTROL_PLANE_AGENT=1 MK_VAGRANT_BOX="$BOX_NAME" MK_LIBVIRT_DRIVER=qemu MK_LIBVIRT_POOL="$POOL"
export MK_LIBVIRT_PREFIX="$DOMAIN_PREFIX"
export MK_LIBVIRT_MGMT_NETWORK="$MGMT_NET" MK_LIBVIRT_MGMT_ADDRESS="$MGMT_PREFIX.0/24"
export MK_LIBVIRT_LAB_NETWORK="$LAB_NET"
export MK_VAGRANT_MEMORY="${MK_VAGRANT_MEMORY:-1536}" MK_VAGRANT_CPUS=1 MK_VAGRANT_BOOT_TIMEOUT=1800

log() { printf '\033[1m[test-vagrant %4ds]\033[0m %s\n' "$((SECONDS - START))" "$*"; }
die() { log "FAILED: $*" >&2; exit 1; }
virsh() { command virsh -q -c qemu:///system "$@"; }

# ---- set-up ---------------------------------------------------------------------------------

check_host() {
  [ "$(id -u)" = 0 ] || die "run as root"
  # The networks' addresses must be free: the one-machine lab uses 192.168.56.0/24 too.
  # (Our own bridges, left by an earlier run killed before its clean-up, are removed below.)
  if ip -br addr | grep -vE "^($MGMT_BRIDGE|$LAB_BRIDGE) " | grep -qE " ($LAB_PREFIX|$MGMT_PREFIX)\.[0-9]+/"; then
    die "$LAB_PREFIX.0/24 or $MGMT_PREFIX.0/24 is already in use on this host (a lab?)"
  fi
}

start_libvirt() {
  if virsh version >/dev/null 2>&1; then log "libvirtd already running"; return; fi
  log "starting virtlogd and libvirtd"   # no init system here to start them
  mkdir -p "$WORK"
  STARTED_LIBVIRT=1
  virtlogd -d -p "$WORK/virtlogd.pid"
  libvirtd -d -p "$WORK/libvirtd.pid"
  local up=0
  for _ in $(seq 50); do virsh version >/dev/null 2>&1 && { up=1; break; }; sleep 0.2; done
  [ "$up" = 1 ] || die "libvirtd did not answer"
  # A libvirtd starts every network marked autostart (libvirt's "default", where it is so
  # marked, NATs to the outside); the test allows no route off this machine, so what the
  # daemon we started autostarted is stopped (definitions and autostart flags stay as they are).
  local net
  for net in $(virsh net-list --name); do
    log "stopping libvirt network $net (autostarted by the libvirtd we started; it forwards)"
    virsh net-destroy "$net" >/dev/null
  done
}

define_network() {   # name bridge address [dhcp-range-start dhcp-range-end]
  local dhcp=""
  [ $# -gt 3 ] && dhcp="<dhcp><range start='$4' end='$5'/></dhcp>"
  cat > "$WORK/net-$1.xml" <<EOF
<network>
  <name>$1</name>
  <bridge name='$2' stp='off' delay='0'/>
  <dns enable='no'/>
  <ip address='$3' netmask='255.255.255.0'>$dhcp</ip>
</network>
EOF
  virsh net-define "$WORK/net-$1.xml" >/dev/null
  virsh net-start "$1" >/dev/null
}

set_up_libvirt() {
  mkdir -p "$WORK/pool"
  virsh pool-define-as "$POOL" dir --target "$WORK/pool" >/dev/null
  virsh pool-start "$POOL" >/dev/null
  # No <forward> element: an isolated network; libvirt rejects anything routed from or to it.
  define_network "$MGMT_NET" "$MGMT_BRIDGE" "$MGMT_PREFIX.1" "$MGMT_PREFIX.10" "$MGMT_PREFIX.99"
  define_network "$LAB_NET" "$LAB_BRIDGE" "$LAB_PREFIX.1"
  if virsh net-dumpxml "$MGMT_NET" "$LAB_NET" 2>/dev/null | grep -q "<forward"; then
    die "a lab network forwards"
  fi
  log "isolated networks $MGMT_NET ($MGMT_PREFIX.0/24, DHCP) and $LAB_NET ($LAB_PREFIX.0/24) up"
}

# ---- the checks -------------------------------------------------------------------------------

api() { curl -sf --max-time 5 "$API$1"; }

ready_nodes() {
  api /api/v1/nodes | python3 -c 'import json, sys
nodes = json.load(sys.stdin)["items"]
print(" ".join(n["metadata"]["name"] for n in nodes
               if any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"].get("conditions", []))))'
}

wait_until() {   # description timeout command...
  local what="$1" timeout="$2" deadline=$((SECONDS + $2)); shift 2
  until "$@"; do
    [ $SECONDS -lt $deadline ] || die "$what: not after ${timeout} s"
    sleep 3
  done
}

all_nodes_ready() { [ "$(ready_nodes 2>/dev/null | wc -w)" -eq "$NODES" ]; }

hello_ready() {
  [ "$(api /apis/apps/v1/namespaces/default/deployments/hello 2>/dev/null |
       python3 -c 'import json, sys; print(json.load(sys.stdin).get("status", {}).get("readyReplicas", 0))')" = 3 ]
}

check_cluster() {
  log "waiting for $NODES Ready nodes through $API"
  wait_until "$NODES Ready nodes" 600 all_nodes_ready
  log "nodes Ready: $(ready_nodes)"
  vagrant ssh control-plane -c \
    "/minikube-py/.venv/bin/mkctl --server $API apply -f /minikube-py/examples/hello.yaml"
  wait_until "3 ready hello replicas" 600 hello_ready
  local port answer i
  port="$(api /api/v1/namespaces/default/services/hello |
          python3 -c 'import json, sys; print(json.load(sys.stdin)["spec"]["ports"][0]["nodePort"])')"
  log "hello: 3 replicas ready, NodePort $port"
  for i in $(seq "$WORKERS"); do
    answer="$(curl -sf --max-time 10 --retry 5 --retry-all-errors "http://$LAB_PREFIX.$((10 + i)):$port/")" ||
      die "no answer from hello on node$i ($LAB_PREFIX.$((10 + i)):$port)"
    log "node$i:$port -> $answer"
    [[ "$answer" == "hello from hello-"* ]] || die "unexpected answer from node$i: $answer"
  done
}

# ---- clean-up (trap) --------------------------------------------------------------------------

domains() {
  local i
  echo "${DOMAIN_PREFIX}control-plane"
  for i in $(seq "$WORKERS"); do echo "${DOMAIN_PREFIX}node$i"; done
}

remove_libvirt_objects() {   # everything this test defines in libvirt, by name; quiet when absent
  local - name volume
  set +e                                 # (local -: only in here) absent objects are fine
  for name in $(domains); do
    virsh destroy "$name" >/dev/null 2>&1; virsh undefine "$name" >/dev/null 2>&1
  done
  if virsh pool-info "$POOL" >/dev/null 2>&1; then
    for volume in $(virsh vol-list "$POOL" | awk '{print $1}'); do
      virsh vol-delete --pool "$POOL" "$volume" >/dev/null
    done
    virsh pool-destroy "$POOL" >/dev/null 2>&1; virsh pool-undefine "$POOL" >/dev/null
  fi
  for name in "$LAB_NET" "$MGMT_NET"; do
    virsh net-destroy "$name" >/dev/null 2>&1; virsh net-undefine "$name" >/dev/null 2>&1
  done
  return 0
}

remove_libvirt_chains() {
  local cmd table chain rule
  for cmd in iptables ip6tables; do
    for table in filter nat mangle; do
      for chain in $("$cmd" -w -t "$table" -S | awk '/^-N LIBVIRT_/ {print $2}'); do
        "$cmd" -w -t "$table" -S | grep -E -- "-j $chain\$" | sed 's/^-A //' | while read -r rule; do
          # shellcheck disable=SC2086  # a rule is a list of words
          "$cmd" -w -t "$table" -D $rule
        done
        "$cmd" -w -t "$table" -F "$chain"
        "$cmd" -w -t "$table" -X "$chain"
      done
    done
  done
}

stop_pid_file() {
  local pid
  pid="$(cat "$1" 2>/dev/null)" || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  set +e
  log "cleaning up"
  if [ -d "$VAGRANT_DOTFILE_PATH" ]; then (cd "$PROJECT" && vagrant destroy -f >/dev/null); fi
  vagrant box remove -f --all "$BOX_NAME" >/dev/null 2>&1
  remove_libvirt_objects                 # whatever `vagrant destroy` did not (or could not) remove
  if [ "$STARTED_LIBVIRT" = 1 ]; then
    stop_pid_file "$WORK/libvirtd.pid"
    stop_pid_file "$WORK/virtlogd.pid"
    remove_libvirt_chains
  fi
  rm -rf "$WORK"
  if [ $status = 0 ]; then log "PASSED in $((SECONDS - START)) s"; else log "FAILED (exit $status)"; fi
  exit $status
}

main() {
  check_host
  install_packages "${HOST_PACKAGES[@]}"
  trap cleanup EXIT
  trap 'exit 130' INT TERM               # a signal still runs the clean-up
  [ -f "$BOX_FILE" ] || { log "building the box $BOX_FILE"; MK_BOX_FILE="$BOX_FILE" "$PROJECT/vagrant/build-box.sh"; }
  start_libvirt
  remove_libvirt_objects                 # leftovers of an earlier run that was killed
  set_up_libvirt
  vagrant box add -f --name "$BOX_NAME" "$BOX_FILE" >/dev/null
  log "vagrant up: control-plane and $WORKERS workers (TCG; several minutes)"
  (cd "$PROJECT" && vagrant up --no-tty --provider libvirt)
  log "vagrant up done"
  check_cluster
}

# Sourcing the file (instead of running it) gives the steps one by one, for debugging.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then main; fi
