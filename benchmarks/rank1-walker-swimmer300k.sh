#!/usr/bin/env bash
# rank1-walker-swimmer300k: the benchmark section <!-- bench:rank1-walker-swimmer300k -->
# Published in docs/benchmarks.md#rank1-walker-swimmer300k. Extra arguments are passed on (e.g. --reuse, --backend ray --address HOST:PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag rank1-walker-swimmer300k \
    --algos rank1_npg a2c trpo \
    --envs Walker2d-v4 Swimmer-v4 \
    --seeds 0 1 2 -n 300000 \
    --eval-freq 50000 \
    --eval-episodes 5 \
    --workers 2 \
    --baseline a2c \
    --reuse \
    --doc docs/benchmarks.md \
    --note 'Rank1NPG (issue #3) on the two other MuJoCo tasks of its zoo file (not part of the returns target), 300k steps x 3 seeds, against the zoo'"'"'s tuned A2C and TRPO (-v4 files). Rank1NPG'"'"'s delta = 0.01 x action dims (Walker2d 0.06, Swimmer 0.02). Two trainings at a time; the TRPO Walker2d runs are those of the mujoco300k section (same settings), reused with --reuse.' "$@"
