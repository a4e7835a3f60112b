#!/usr/bin/env bash
# s2pg-novel: S2PG-PPO against the zoo's tuned RecurrentPPO (ppo_lstm), memoryless PPO and 4-frame-stacked PPO on
# the zoo's velocity-masked tasks at the zoo's budgets (issue 12). Long: run in the background, resume with the
# same line (--reuse). Extra arguments are passed on.
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag s2pg-novel \
    --algos s2pg_ppo ppo_lstm ppo@novel ppo@novel-stack4 \
    --envs CartPoleNoVel-v1 PendulumNoVel-v1 \
    --seeds 0 1 2 3 4 -n 100000 \
    --eval-freq 5000 \
    --eval-episodes 10 \
    --workers 1 \
    --baseline ppo_lstm \
    --reuse \
    --doc docs/benchmarks.md \
    --note 'S2PG-PPO against the zoo'"'"'s tuned RecurrentPPO (ppo_lstm) on the zoo'"'"'s velocity-masked tasks at the zoo'"'"'s budget (1e5 steps), with memoryless PPO and 4-frame-stacked PPO (the zoo'"'"'s full-state PPO entries, unchanged: benchmarks/hyperparams/ppo_novel.yml).' "$@"
