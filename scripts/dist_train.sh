#!/usr/bin/env bash
# Train a config on N processes of this machine (one per GPU; on a machine
# without CUDA, N CPU processes over gloo):
#   scripts/dist_train.sh CONFIG N [--work-dir DIR] [--resume] [--cfg-options ...]
# Several nodes: run it on each with NNODES, NODE_RANK, MASTER_ADDR and PORT.
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG NUM_PROCESSES [train options]" >&2
    exit 2
fi
CONFIG=$1
NPROC=$2
shift 2
exec "${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${PORT:-29500}" \
    --nproc_per_node="$NPROC" \
    "$(dirname "$0")/train.py" "$CONFIG" --launcher pytorch "$@"
