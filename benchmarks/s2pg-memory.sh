#!/usr/bin/env bash
# S2PG against memoryless, frame-stacked and BPTT baselines on the memory task (success rate)
# Published in docs/s2pg.md#returns-at-equal-env-steps-short-budgets. Extra arguments are passed on (e.g. --reuse, --backend ray --address HOST:PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
# Ours read hyperparams/s2pg_*.yml, the baselines benchmarks/hyperparams/*.yml (variants *@s2pg); on-policy
# 20k env steps (8 envs), off-policy 5k (one gradient step per env step).
python scripts/benchmark.py --tag s2pg-memory \
    --algos s2pg_ppo ppo@s2pg ppo_lstm@s2pg ppo@s2pg-window4 s2pg_sac sac@s2pg s2pg_td3 td3@s2pg \
    --envs S2PGMemory-v0 --seeds 0 1 2 --metric success --eval-freq 5000 --eval-episodes 200 --workers 2 \
    --baseline ppo@s2pg --params s2pg_ppo:n_timesteps:20000 s2pg_sac:n_timesteps:5000 s2pg_td3:n_timesteps:5000 "$@"
