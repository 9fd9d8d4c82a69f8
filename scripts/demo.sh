#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine as root (idempotent: run it again any time):
#   set everything up, build the lab's images, bring up a 3-node one-machine lab,
#   apply examples/hello.yaml, wait for it, show the pods spread over the nodes,
#   and reach the Service by ClusterIP and by DNS name from a pod, and through a
#   NodePort from the host — printing every answer.
# Everything stays on this machine: nodes are network namespaces on a lab
# bridge (192.168.56.0/24) with no default route. `minikube-py lab down` removes it all.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NAME="${MK_LAB_NAME:-lab}"
NODES="${MK_LAB_NODES:-3}"
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
lab() { "$PY" -m minikube_py.lab "$@" --name "$NAME"; }     # = minikube-py lab ...
export KUBECONFIG="/var/lib/minikube-py/lab/$NAME/kubeconfig"
mkctl() { "$ROOT/.venv/bin/mkctl" "$@"; }
# kubectl: the current one set-up installs; bring your own with KUBECTL=/path/to/kubectl
KUBECTL="${KUBECTL:-$ROOT/.run/tools/kubectl-1.33/kubectl}"
kubectl() { "$KUBECTL" "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '\n$ %s\n' "$*"; "$@"; }

step "building the images (minikube-py/pause, busybox, hello) from Debian's busybox"
"$ROOT/.venv/bin/minikube-py" images build

step "bringing up a $NODES-node lab"
"$PY" -m minikube_py.lab up --name "$NAME" --nodes "$NODES"
show mkctl get nodes -o wide

step "deploying examples/hello.yaml"
show mkctl apply -f examples/hello.yaml
show mkctl rollout status deployment/hello --timeout 120s
show mkctl get pods -o wide -l app=hello
show mkctl get service hello
show kubectl get deployment,pods -l app=hello -o wide      # the same, with kubectl

# field KIND NAME EXPR: one field of an object (mkctl has no -o jsonpath yet)
field() { mkctl get "$1" "$2" -o json | "$PY" -c 'import json,sys; o=json.load(sys.stdin); print(eval(sys.argv[1]))' "$3"; }
CLUSTER_IP="$(field service hello "o['spec']['clusterIP']")"
NODE_PORT="$(field service hello "o['spec']['ports'][0]['nodePort']")"
NODE1_IP="$(field node "$NAME-node1" "o['status']['addresses'][0]['address']")"
# a pod to ask from: the app container of a hello pod of this lab (busybox inside)
CLIENT=""
for i in $(seq "$NODES"); do
  [ -n "$CLIENT" ] || CLIENT="$(docker ps -q --filter label=io.minikube-py.container=hello \
                                 --filter "label=io.minikube-py.node=$NAME-node$i")"
done
CLIENT="${CLIENT%%$'\n'*}"

# retry a few times: the proxies and DNS may lag the rollout by a moment
ask() { for _ in 1 2 3 4 5 6 7 8 9 10; do "$@" 2>/dev/null && return 0; sleep 1; done; echo "(no answer)"; return 1; }
failed=0
step "the Service through its ClusterIP $CLUSTER_IP, from a pod (three requests)"
for _ in 1 2 3; do
  show ask timeout 5 docker exec "$CLIENT" wget -q -O - "http://$CLUSTER_IP/" || failed=1
done
step "the Service through its DNS name, from a pod (/etc/resolv.conf points at 10.96.0.10)"
show docker exec "$CLIENT" cat /etc/resolv.conf
show ask timeout 5 docker exec "$CLIENT" nslookup hello.default.svc.cluster.local || failed=1
show ask timeout 5 docker exec "$CLIENT" wget -q -O - http://hello/ || failed=1
step "the API server from a pod, through the kubernetes Service (10.96.0.1:443 -> 192.168.56.10:6443)"
show ask timeout 5 docker exec "$CLIENT" wget -q -O - http://kubernetes.default:443/version || failed=1
echo
step "the Service through NodePort $NODE_PORT on node 1 ($NODE1_IP), from the host"
show ask curl -s -m 3 "http://$NODE1_IP:$NODE_PORT/" || failed=1

step "done"
# Each line a command to paste as it is (.venv/bin need not be on PATH).
cat <<TXT
The lab keeps running. Try:
  export KUBECONFIG=$KUBECONFIG
  $ROOT/.venv/bin/mkctl get pods -o wide
  $KUBECTL get all -A
  curl http://192.168.56.10:6443/api/v1/nodes
  $ROOT/.venv/bin/minikube-py lab status --name $NAME
  ip netns exec mkpy-$NAME-node1 iptables-save -t nat | grep KUBE-SVC
  $ROOT/.venv/bin/minikube-py lab down --name $NAME    # removes everything
TXT
exit "$failed"
