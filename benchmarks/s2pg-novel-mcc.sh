#!/usr/bin/env bash
# s2pg-novel-mcc: S2PG-PPO against the zoo's tuned RecurrentPPO (ppo_lstm), memoryless PPO and 4-frame-stacked
# PPO on MountainCarContinuousNoVel-v0 at the zoo's ppo_lstm budget (3e5 steps; issue 12). Long: run in the
# background, resume with the same line (--reuse). Extra arguments are passed on.
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag s2pg-novel-mcc \
    --algos s2pg_ppo ppo_lstm ppo@novel ppo@novel-stack4 \
    --envs MountainCarContinuousNoVel-v0 \
    --seeds 0 1 2 3 4 -n 300000 \
    --eval-freq 30000 \
    --eval-episodes 10 \
    --workers 1 \
    --baseline ppo_lstm \
    --reuse \
    --checkpoint-freq 50000 \
    --doc docs/benchmarks.md \
    --note 'S2PG-PPO against the zoo'"'"'s tuned RecurrentPPO (ppo_lstm) on MountainCarContinuousNoVel-v0 at the zoo'"'"'s ppo_lstm budget (3e5 steps), with memoryless PPO and 4-frame-stacked PPO (the zoo'"'"'s MountainCarContinuous-v0 PPO entry, unchanged, at the same budget: benchmarks/hyperparams/ppo_novel.yml).' "$@"
