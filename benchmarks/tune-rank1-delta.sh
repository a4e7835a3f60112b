#!/usr/bin/env bash
# tune-rank1-delta: the benchmark section <!-- bench:tune-rank1-delta -->
# Published in docs/benchmarks/tune-rank1-delta/. Extra arguments are passed on (e.g. --reuse, --backend ray --address HOST:PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag tune-rank1-delta \
    --algos rank1_npg rank1_npg@d02 rank1_npg@d05 \
    --envs CartPole-v1 Acrobot-v1 \
    --seeds 10 11 -n 100000 \
    --eval-freq 10000 \
    --eval-episodes 10 \
    --workers 1 \
    --baseline rank1_npg \
    --out docs/benchmarks/tune-rank1-delta \
    --params rank1_npg@d02:delta:0.02 rank1_npg@d05:delta:0.05 "$@"
