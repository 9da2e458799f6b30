#!/usr/bin/env bash
# Creates the full local environment: a kind cluster with two regions (namespaces region-us-west and
# region-us-east), the CloudNativePG operator and the Prometheus operator CRDs, the four service images built
# from this checkout, and every manifest of infra/local/regions/<region>.
# Usage: ./infra/local/setup.sh
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require docker kind kubectl openssl

if cluster_exists; then
  log "kind cluster $CLUSTER exists"
else
  log "creating kind cluster $CLUSTER"
  kind create cluster --name "$CLUSTER" --config "$LOCAL_DIR/kind-config.yaml"
fi

log "installing the CloudNativePG operator"
kube apply --server-side -f "$CNPG_MANIFEST"
kube -n cnpg-system rollout status deployment/cnpg-controller-manager --timeout=300s

log "installing the Prometheus operator CRDs (ServiceMonitor, PrometheusRule)"
kube apply --server-side -f "$PROMETHEUS_OPERATOR_CRDS"

for svc in "${SERVICES[@]}"; do
  build_image "$svc"
done

for region in "${REGIONS[@]}"; do
  apply_region "$region"
done
for region in "${REGIONS[@]}"; do
  wait_region "$region"
done

log "ready: ./infra/local/status.sh shows the environment"
