#!/usr/bin/env bash
# screen300k: every shipped MuJoCo and classic-control entry that no published section had run (see
# docs/benchmarks/coverage.md, `python -m benchmarks.coverage`) against the zoo's tuned PPO at equal env steps, one
# seed (issue 14): 300k steps on MuJoCo, 100k on Acrobot / Pendulum / CartPole, 300k on LunarLander (needs
# `pip install -e .[box2d]`). The zoo has no -v5 PPO entries: ppo@v5 is its -v4 entry unchanged
# (benchmarks/hyperparams/ppo_v5.yml). Several hours of one core; resume with the same line (--reuse in every
# section), commit docs/benchmarks/screen-*/runs/ as runs finish. Extra arguments are passed on to every section.
set -euo pipefail
cd "$(dirname "$0")/.."
screen() {
    local tag="$1"; shift
    python scripts/benchmark.py --tag "$tag" --seeds 0 --eval-freq 25000 --eval-episodes 10 --workers 1 \
        --reuse --checkpoint-freq 50000 --doc docs/benchmarks.md \
        --note 'Screen of shipped entries no section had run (issue 14): one seed against the zoo'"'"'s tuned PPO at equal env steps; a loss here marks an entry to fix or to flag as untested.' \
        "$@"
}
screen screen-classic --algos spma mdpo trpo_reg reinforce ppo --envs CartPole-v1 Acrobot-v1 -n 100000 "$@"
screen screen-pendulum --algos spma mdpo trpo_reg ppo --envs Pendulum-v1 -n 100000 "$@"
screen screen-s2pg-classic --algos s2pg_ppo ppo --envs CartPole-v1 Pendulum-v1 -n 100000 "$@"
screen screen-mujoco-v4 --algos trpo_reg ppo --envs Hopper-v4 HalfCheetah-v4 Walker2d-v4 -n 300000 "$@"
screen screen-mujoco-v5 --algos spma mdpo trpo_reg rank1_npg ppo@v5 --baseline ppo@v5 \
    --envs Hopper-v5 HalfCheetah-v5 Walker2d-v5 Swimmer-v5 -n 300000 "$@"
screen screen-swimmer-ant-humanoid-v4 --algos spma mdpo trpo_reg ppo --envs Swimmer-v4 Ant-v4 Humanoid-v4 -n 300000 "$@"
screen screen-ant-humanoid-v5 --algos spma mdpo trpo_reg ppo@v5 --baseline ppo@v5 --envs Ant-v5 Humanoid-v5 -n 300000 "$@"
screen screen-lunarlander --algos spma mdpo trpo_reg ppo --envs LunarLander-v3 -n 300000 "$@"
