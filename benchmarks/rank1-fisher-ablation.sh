#!/usr/bin/env bash
# Rank1NPG Fisher ablation (variants rank1_npg@<direction> of benchmarks/variants.py)
# Published in docs/rank1_npg.md#fisher-ablation. Extra arguments are passed on (e.g. --reuse, --backend ray --address HOST:PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag rank1-fisher-ablation \
    --algos trpo rank1_npg rank1_npg@exact_ef rank1_npg@diag_ef rank1_npg@true_fisher_cg \
    --envs Pendulum-v1 Hopper-v4 --seeds 0 1 2 -n 100000 --eval-freq 20000 --eval-episodes 10 --workers 2 \
    --baseline trpo "$@"
