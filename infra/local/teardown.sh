#!/usr/bin/env bash
# Destroys the full local environment (the kind cluster and everything in it; images stay in Docker).
# Usage: ./infra/local/teardown.sh
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require kind

if cluster_exists; then
  log "deleting kind cluster $CLUSTER"
  kind delete cluster --name "$CLUSTER"
else
  log "no kind cluster $CLUSTER: nothing to do"
fi
