#!/usr/bin/env bash
# speed-hopper: the benchmark section <!-- bench:speed-hopper -->
# Published in docs/benchmarks.md#speed-hopper. Extra arguments are passed on (e.g. --reuse, --backend ray --address HOST:PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/benchmark.py --tag speed-hopper \
    --algos ppo spma spma@adam \
    --envs Hopper-v4 \
    --seeds 0 1 -n 20480 \
    --eval-freq -1 \
    --workers 1 \
    --params ppo:n_steps:2048 ppo:batch_size:64 ppo:n_epochs:10 'ppo:policy_kwargs:dict(net_arch=dict(pi=[64,64],vf=[64,64]))' ppo:normalize:False spma:normalize:False spma@adam:normalize:False 'spma@adam:inner_loop:'"'"'adam'"'"'' spma@adam:batch_size:64 spma@adam:n_epochs:10 \
    --doc docs/benchmarks.md \
    --note 'Speed at the same n_steps (2048) and network (64x64 tanh, separate actor and critic), no evaluation, no VecNormalize: PPO with SB3'"'"'s defaults (minibatch 64, 10 epochs); SPMA with the Armijo inner loop (full batch, m = 5) and with Adam (minibatch 64, 10 epochs); both critics on minibatches of 64 for 10 epochs. Runs are sequential and interleaved so that they share the machine'"'"'s load alike.' "$@"
