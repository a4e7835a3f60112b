#!/usr/bin/env bash
# S2PG-SAC on privileged MuJoCo, 20k steps
# Published in docs/s2pg.md#returns-at-equal-env-steps-short-budgets. Extra arguments are passed on (e.g. --reuse, --backend ray --address HOST:PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag s2pg-privileged20k --algos s2pg_sac sac@s2pg \
    --envs HopperPrivileged-v5 Walker2dPrivileged-v5 --seeds 0 1 2 -n 20000 --eval-freq 10000 --eval-episodes 5 \
    --workers 2 --baseline sac@s2pg "$@"
