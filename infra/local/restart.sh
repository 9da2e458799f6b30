#!/usr/bin/env bash
# Restarts the local environment.
#   ./infra/local/restart.sh          tear down and set up everything again
#   ./infra/local/restart.sh <svc>    rebuild one service (ac, gc, mc or mh) and restart it in every region
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "$#" -gt 1 ]; then
  die "usage: $0 [ac|gc|mc|mh]"
fi

if [ "$#" -eq 0 ]; then
  "$LOCAL_DIR/teardown.sh"
  exec "$LOCAL_DIR/setup.sh"
fi

svc="$1"
target="$(workload "$svc")"
require docker kind kubectl
cluster_exists || die "no kind cluster $CLUSTER: run ./infra/local/setup.sh first"

build_image "$svc"
for region in "${REGIONS[@]}"; do
  log "restarting $target in region-$region"
  kube -n "region-$region" rollout restart "$target"
done
for region in "${REGIONS[@]}"; do
  kube -n "region-$region" rollout status "$target" --timeout=300s
done
