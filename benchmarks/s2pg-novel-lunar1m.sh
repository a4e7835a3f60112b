#!/usr/bin/env bash
# s2pg-novel-lunar1m: S2PG-PPO against the zoo's tuned RecurrentPPO (its LunarLander NoVel -v2 entry, unchanged,
# under the -v3 ids: ppo_lstm@novel-v3), memoryless PPO and 4-frame-stacked PPO (the zoo's LunarLander -v3 PPO
# entries, unchanged) on the zoo's velocity-masked LunarLander pair at 1e6 steps x 3 seeds (the zoo's budget is
# 5e6 with 32 envs; issue 12). Needs the box2d extra. Long: run in the background, resume with the same line
# (--reuse). Extra arguments are passed on.
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag s2pg-novel-lunar1m \
    --algos s2pg_ppo ppo_lstm@novel-v3 ppo@novel ppo@novel-stack4 \
    --envs LunarLanderNoVel-v3 LunarLanderContinuousNoVel-v3 \
    --seeds 0 1 2 -n 1000000 \
    --eval-freq 50000 \
    --eval-episodes 10 \
    --workers 1 \
    --baseline ppo_lstm@novel-v3 \
    --reuse \
    --checkpoint-freq 50000 \
    --doc docs/benchmarks.md \
    --note 'S2PG-PPO against the zoo'"'"'s tuned RecurrentPPO (its LunarLanderNoVel-v2 / LunarLanderContinuousNoVel-v2 entry, unchanged, under the -v3 ids) on the zoo'"'"'s velocity-masked LunarLander pair at 1e6 steps x 3 seeds (the zoo'"'"'s budget: 5e6 steps, 32 envs), with memoryless PPO and 4-frame-stacked PPO (the zoo'"'"'s LunarLander-v3 / LunarLanderContinuous-v3 PPO entries, unchanged: benchmarks/hyperparams/ppo_novel.yml).' "$@"
