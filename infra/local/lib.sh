#!/usr/bin/env bash
# Shared settings and helpers of the local environment scripts (sourced, not run).
# shellcheck disable=SC2034 # variables are used by the scripts that source this file

set -euo pipefail

LOCAL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$LOCAL_DIR/../.." && pwd)"
CLUSTER="${DARKTOWER_CLUSTER:-darktower}"
REGIONS=(us-west us-east)
SERVICES=(ac gc mc mh)
IMAGE_TAG=dev

# Pinned platform components (fetched by kubectl from their release pages; override to use a mirror).
CNPG_MANIFEST="${CNPG_MANIFEST:-https://raw.githubusercontent.com/cloudnative-pg/cloudnative-pg/release-1.25/releases/cnpg-1.25.1.yaml}"
PROMETHEUS_OPERATOR_CRDS="${PROMETHEUS_OPERATOR_CRDS:-https://github.com/prometheus-operator/prometheus-operator/releases/download/v0.80.1/stripped-down-crds.yaml}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

require() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required (see infra/local/README.md)"
  done
}

# Name of the workload of a service (ac runs as a StatefulSet, the others as Deployments).
workload() {
  case "$1" in
    ac) echo statefulset/ac-service ;;
    gc | mc | mh) echo "deployment/$1-service" ;;
    *) die "unknown service '$1' (expected one of: ${SERVICES[*]})" ;;
  esac
}

cluster_exists() {
  kind get clusters 2>/dev/null | grep -qx "$CLUSTER"
}

kube() {
  kubectl --context "kind-$CLUSTER" "$@"
}

# Builds one service image from the repository root and loads it into the kind nodes.
build_image() {
  local svc="$1"
  local image="darktower/$svc-service:$IMAGE_TAG"
  log "building $image"
  docker build -f "$REPO_DIR/infra/docker/$svc-service.Dockerfile" -t "$image" "$REPO_DIR"
  kind load docker-image --name "$CLUSTER" "$image"
}

# Secrets the manifests reference, generated per region on first setup (never stored in git).
create_secrets() {
  local ns="$1" tmp
  tmp="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand $tmp now: the trap must remove this directory
  trap "rm -rf '$tmp'" RETURN
  if ! kube -n "$ns" get secret ac-master-key >/dev/null 2>&1; then
    openssl rand -base64 32 | tr -d '\n' >"$tmp/master-key"
    kube -n "$ns" create secret generic ac-master-key --from-file=master-key="$tmp/master-key"
  fi
  local svc
  for svc in mc mh; do
    if ! kube -n "$ns" get secret "$svc-service-tls" >/dev/null 2>&1; then
      # WebTransport certificate hashes need ECDSA P-256 and at most 14 days of validity.
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 13 \
        -subj "/CN=$svc-service.$ns" -keyout "$tmp/$svc.key" -out "$tmp/$svc.crt" 2>/dev/null
      kube -n "$ns" create secret tls "$svc-service-tls" --cert="$tmp/$svc.crt" --key="$tmp/$svc.key"
    fi
  done
}

apply_region() {
  local region="$1" ns="region-$1"
  log "applying region $region (namespace $ns)"
  kube create namespace "$ns" --dry-run=client -o yaml | kube apply -f -
  create_secrets "$ns"
  kube apply --server-side -k "$LOCAL_DIR/regions/$region"
}

wait_region() {
  local ns="region-$1" svc
  for svc in "${SERVICES[@]}"; do
    kube -n "$ns" rollout status "$(workload "$svc")" --timeout=300s
  done
}
