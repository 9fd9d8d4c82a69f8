#!/usr/bin/env bash
# Provision one VM of the Vagrant lab (Vagrant runs it as root, see ../Vagrantfile):
#
#   provision.sh control-plane control-plane 192.168.56.10 [--agent]   etcd, apiserver, scheduler,
#                                                                      controller-manager (+ a node)
#   provision.sh node node1 192.168.56.11                              agent, kube-proxy, DNS
#
# 1. the Debian packages and the project's .venv, with scripts/setup.sh (the one-machine
#    lab's set-up); offline from the wheelhouse a locally built box carries
#    (vagrant/build-box.sh), with pip's index otherwise;
# 2. on a node: Docker and the lab's images, built locally (`minikube-py images build`);
# 3. systemd units written by vagrant/lab_units.py from the one-machine lab's command lines;
# 4. the control plane creates the kube-dns Service (MK_DNS_ADDRESSES: the nodes' addresses);
#    a node waits until it is Ready, so `vagrant up` ends with every node Ready.
set -euo pipefail

ROLE="$1" NAME="$2" IP="$3" AGENT="${4:-}"
PROJECT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WHEELS=/var/cache/minikube-py/wheels
UNIT_DIR=/etc/systemd/system

export MK_PIP_EXTRAS=""                  # the VMs need no test tools
export PIP_NO_COMPILE=1                  # modules are compiled when first imported, not all up front
# shellcheck source=../scripts/setup.sh
source "$PROJECT/scripts/setup.sh"       # PACKAGES, install_packages, create_venv, log
PACKAGES+=(apparmor)                     # Docker refuses to start containers without it
PY="$PROJECT/.venv/bin/python"
UNITS=("$PY" "$PROJECT/vagrant/lab_units.py")

runs_agent() { [ "$ROLE" = node ] || [ "$AGENT" = --agent ]; }

install_project() {
  install_packages
  if [ -d "$WHEELS" ]; then
    log "installing the project from the box's wheelhouse $WHEELS (no index)"
    export PIP_NO_INDEX=1 PIP_FIND_LINKS="$WHEELS"
  fi
  create_venv
  # Debian's own etcd unit is not the lab's: ours runs with the lab's flags, on the control plane only.
  systemctl disable --now etcd.service 2>/dev/null || true
}

prepare_node() {
  log "starting Docker and building the lab's images"
  systemctl enable --now docker.service
  "$PY" -m minikube_py.cli.daemons images build
}

install_units() {
  local agent_flag=() units
  runs_agent && agent_flag=(--agent)
  mapfile -t units < <("${UNITS[@]}" write --role "$ROLE" --name "$NAME" --ip "$IP" "${agent_flag[@]}" \
                       --dir "$UNIT_DIR")
  log "starting ${units[*]}"
  systemctl daemon-reload
  systemctl enable --quiet "${units[@]}"
  systemctl restart "${units[@]}"        # `vagrant provision` again applies new code and units
}

main() {
  log "provisioning $NAME ($ROLE, $IP)"
  install_project
  runs_agent && prepare_node
  install_units
  if [ "$ROLE" = control-plane ]; then
    # shellcheck disable=SC2086  # a space-separated list of addresses
    "${UNITS[@]}" dns-service $(printf -- '--address %s ' ${MK_DNS_ADDRESSES:?})
  fi
  if runs_agent; then
    "${UNITS[@]}" wait-ready --name "$NAME"
  fi
  log "$NAME is provisioned: curl http://192.168.56.10:6443/api/v1/nodes"
}

main
