#!/usr/bin/env bash
# S2PG-PPO on velocity-free MuJoCo, 100k steps
# Published in docs/s2pg.md#returns-at-equal-env-steps-short-budgets. Extra arguments are passed on (e.g. --reuse, --backend ray --address HOST:PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag s2pg-pomdp100k --algos s2pg_ppo ppo@s2pg ppo@s2pg-window4 \
    --envs HopperPOMDP-v5 Walker2dPOMDP-v5 HalfCheetahPOMDP-v5 --seeds 0 1 2 -n 100000 --eval-freq 20000 \
    --eval-episodes 5 --workers 2 --baseline ppo@s2pg "$@"
