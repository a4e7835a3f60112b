#!/usr/bin/env bash
# tune-s2pg-cartpolenovel: a grid over the shipped s2pg_ppo CartPoleNoVel-v1 entry (issue 12): epochs per rollout x
# discount (the zoo's tuned PPO and RecurrentPPO use 20 epochs and gamma 0.98 on CartPole), on seeds 10 and 11, never
# the benchmark's 0-4, at the zoo's budget. Published in docs/benchmarks/tuning.md. Extra arguments are passed on.
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag tune-s2pg-CartPoleNoVel-v1 --algos s2pg_ppo --envs CartPoleNoVel-v1 \
    --grid n_epochs=10,20 --grid gamma=0.99,0.98 --seeds 10 11 -n 100000 --eval-freq 5000 --eval-episodes 10 \
    --workers 1 --reuse --baseline s2pg_ppo@n_epochs=10,gamma=0.99 --doc docs/benchmarks/tuning.md "$@"
