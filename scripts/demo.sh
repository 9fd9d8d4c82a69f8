#!/usr/bin/env bash
# Set everything up (idempotent), start an API server on etcd, and drive it with
# curl the way the README shows: a namespace, a pod and a deployment, lists
# with selectors, a watch, and the Status errors bad input gets.
# (The multi-node lab - `minikube-py lab up` - arrives with the lab issue; this
# demo then becomes "bring up the lab and run the sample app".)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
RUN="$ROOT/.run"
PORT="${MK_DEMO_PORT:-6443}"
API="http://127.0.0.1:$PORT"

if ! curl -sf "$API/readyz" >/dev/null 2>&1; then
  echo "== starting the API server on $API (log: $RUN/apiserver.log)"
  nohup "$ROOT/.venv/bin/minikube-py" apiserver --port "$PORT" >"$RUN/apiserver.log" 2>&1 &
  echo $! >"$RUN/apiserver.pid"
  for _ in $(seq 100); do curl -sf "$API/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
fi
# start from a clean slate so the demo can run again
curl -s -X DELETE "$API/api/v1/namespaces/demo/pods/hello?gracePeriodSeconds=0" -o /dev/null || true
curl -s -X DELETE "$API/apis/apps/v1/namespaces/demo/deployments/web" -o /dev/null || true
show() { echo; echo "\$ $*"; "$@"; echo; }
J='Content-Type: application/json'

show curl -s "$API/version"
show curl -s -X POST -H "$J" "$API/api/v1/namespaces" -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"demo"}}' -o /dev/null -w '%{http_code}\n'
show curl -s -X POST -H "$J" "$API/api/v1/namespaces/demo/pods" -d '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"hello","labels":{"app":"hello"}},"spec":{"containers":[{"name":"hello","image":"minikube-py/hello:latest","imagePullPolicy":"Never"}]}}' -o /dev/null -w '%{http_code}\n'
show curl -s -X POST -H "$J" "$API/apis/apps/v1/namespaces/demo/deployments" -d '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"minikube-py/hello:latest"}]}}}}' -o /dev/null -w '%{http_code}\n'
show curl -s "$API/api/v1/namespaces/demo/pods?labelSelector=app%3Dhello"
show curl -s "$API/apis/apps/v1/namespaces/demo/deployments?fieldSelector=metadata.name%3Dweb"
echo "\$ curl -sN '$API/api/v1/namespaces/demo/pods?watch=1&timeoutSeconds=2'   (while we label the pod)"
curl -sN "$API/api/v1/namespaces/demo/pods?watch=1&timeoutSeconds=2" &
watcher=$!
sleep 0.5
curl -s -X PATCH -H 'Content-Type: application/merge-patch+json' "$API/api/v1/namespaces/demo/pods/hello" -d '{"metadata":{"labels":{"seen":"yes"}}}' -o /dev/null
wait "$watcher"
show curl -s -X POST -H "$J" "$API/api/v1/namespaces/demo/pods" -d '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"Bad_Name"},"spec":{"containers":[]}}'
show curl -s -X POST -H "$J" "$API/api/v1/namespaces/demo/pods" -d '{"kind": "Pod",'
if [ -x "$RUN/tools/usr/bin/kubectl" ]; then
  show "$RUN/tools/usr/bin/kubectl" --server "$API" get pods,deployments -n demo
fi
echo "The API server keeps running on $API (pid $(cat "$RUN/apiserver.pid" 2>/dev/null || echo '?')); stop it with: kill \$(cat $RUN/apiserver.pid)"
