#!/usr/bin/env bash
# rank1-returns-cartpole-minibatch: Rank1NPG on CartPole-v1 re-run with the minibatch Fisher of the current zoo file
# Published in docs/rank1_npg.md#first-run-3-seeds-and-the-per-sample-reading-on-cartpole. Extra arguments are passed on (e.g. --reuse, --backend ray --address HOST:PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag rank1-returns-cartpole-minibatch --algos rank1_npg --envs CartPole-v1 \
    --seeds 0 1 2 -n 100000 --eval-freq 10000 --eval-episodes 10 --workers 1 --baseline rank1_npg "$@"
