#!/usr/bin/env bash
# Shows the local environment: cluster nodes, and per region the services' readiness, pods and databases.
# Exits non-zero when the cluster is missing or a service is not ready.
# Usage: ./infra/local/status.sh
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require kind kubectl

cluster_exists || die "no kind cluster $CLUSTER: run ./infra/local/setup.sh"

log "nodes"
kube get nodes -L darktower.io/region

status=0
for region in "${REGIONS[@]}"; do
  ns="region-$region"
  log "region $region ($ns)"
  for svc in "${SERVICES[@]}"; do
    target="$(workload "$svc")"
    ready="$(kube -n "$ns" get "$target" -o jsonpath='{.status.readyReplicas}' 2>/dev/null || true)"
    wanted="$(kube -n "$ns" get "$target" -o jsonpath='{.spec.replicas}' 2>/dev/null || true)"
    if [ -n "$wanted" ] && [ "${ready:-0}" = "$wanted" ]; then
      printf '  %-28s ready %s/%s\n' "$target" "${ready:-0}" "$wanted"
    else
      printf '  %-28s NOT READY %s/%s\n' "$target" "${ready:-0}" "${wanted:-?}"
      status=1
    fi
  done
  kube -n "$ns" get pods -o wide
  kube -n "$ns" get clusters.postgresql.cnpg.io 2>/dev/null || true
done
exit "$status"
