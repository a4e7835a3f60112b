#!/usr/bin/env bash
# eta grid of the mirror family's Pendulum-v1 entries (issue 14's screen: they lose to the zoo's PPO, -710 / -591 /
# -624 against -122 at 100k, seed 0), on held-out seeds 10 and 11 at the entry's budget.
# Published in docs/benchmarks/tuning.md. Extra arguments are passed on (e.g. --reuse, --backend ray --address HOST:PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag tune-mirror-Pendulum-v1 --algos spma mdpo trpo_reg --envs Pendulum-v1 \
    --grid eta=0.3,1,3 --seeds 10 11 -n 100000 --eval-freq 25000 --eval-episodes 10 --workers 1 --baseline spma@eta=1 \
    --doc docs/benchmarks/tuning.md "$@"
# the zoo PPO entry's exploration on the same seeds: gSDE resampled every 4 steps (eta = 1)
python scripts/benchmark.py --tag tune-mirror-Pendulum-v1-sde --algos spma@sde mdpo@sde trpo_reg@sde \
    --envs Pendulum-v1 --seeds 10 11 -n 100000 --eval-freq 25000 --eval-episodes 10 --workers 1 --baseline spma@sde \
    --params spma@sde:use_sde:True spma@sde:sde_sample_freq:4 mdpo@sde:use_sde:True mdpo@sde:sde_sample_freq:4 \
    trpo_reg@sde:use_sde:True trpo_reg@sde:sde_sample_freq:4 --doc docs/benchmarks/tuning.md "$@"
