"""Wall-clock cost of S2PG against backpropagation through time and against the memoryless algorithms.

- on-policy: env steps per second (collection + updates) of S2PG-PPO, sb3-contrib RecurrentPPO (LSTM, BPTT
  over the rollout's sequences) and memoryless PPO on a velocity-free Hopper, same n_steps / batch_size /
  n_epochs;
- off-policy: seconds per gradient step of S2PG-SAC (default actor width 128, and the official 256) /
  S2PG-TD3 (privileged Hopper) and SAC / TD3 (velocity-free Hopper), same batch size and buffer contents size.

Example (the numbers in docs/s2pg.md)::

    OMP_NUM_THREADS=1 python scripts/bench_s2pg_speed.py --ppo-steps 4096 --grad-steps 300
    OMP_NUM_THREADS=1 python scripts/bench_s2pg_speed.py --profile --ppo-steps 4096 --n-steps 2048 --repeats 3
    OMP_NUM_THREADS=1 python scripts/bench_s2pg_speed.py --profile --optimizer-kwargs "{'fused': True}"
"""

from __future__ import annotations

import argparse
import ast
import time
from dataclasses import dataclass, field

import numpy as np
import torch as th
from sb3_contrib import RecurrentPPO
from stable_baselines3 import PPO, SAC, TD3
from stable_baselines3.common.env_util import make_vec_env

from sb3_pgx import S2PGPPO, S2PGSAC, S2PGTD3


def ppo_rate(name: str, steps: int, n_steps: int, batch_size: int, n_epochs: int, device: str) -> float:
    env = make_vec_env("HopperPOMDP-v5", n_envs=1, seed=0)
    common = {"n_steps": n_steps, "batch_size": batch_size, "n_epochs": n_epochs, "seed": 0, "device": device}
    if name == "S2PG-PPO":
        model = S2PGPPO("MlpPolicy", env, z_dim=128, **common)
    elif name == "RecurrentPPO":
        model = RecurrentPPO("MlpLstmPolicy", env, policy_kwargs={"lstm_hidden_size": 128}, **common)
    else:
        model = PPO("MlpPolicy", env, **common)
    model.learn(n_steps)  # warm-up (first rollout, allocations)
    start = time.perf_counter()
    model.learn(steps, reset_num_timesteps=False)
    return steps / (time.perf_counter() - start)


class Timers:
    """Seconds spent in wrapped callables, by label (nested calls are counted in both labels)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, obj: object, attr: str, label: str) -> None:
        inner = getattr(obj, attr)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - start

        setattr(obj, attr, timed)


@dataclass(frozen=True)
class ProfileCase:
    """One row pair of ``--profile``: S2PG-PPO and PPO on one task with matched widths.

    :param env_id: the task
    :param n_envs: parallel envs
    :param n_steps: steps per env per rollout (None: ``--n-steps`` divided by ``n_envs``)
    :param batch_size: minibatch size (None: ``--batch-size``)
    :param label: what the widths are
    :param s2pg_kwargs: S2PG-PPO's keyword arguments
    :param ppo_policy_kwargs: PPO's ``policy_kwargs``
    """

    env_id: str
    n_envs: int
    n_steps: int | None
    batch_size: int | None
    label: str
    s2pg_kwargs: dict = field(default_factory=lambda: {"z_dim": 128})
    ppo_policy_kwargs: dict = field(default_factory=lambda: {"net_arch": [128, 128]})


#: widths 128 (S2PG's embeddings, GRU and value net; PPO's policy and value nets), and the shipped
#: CartPoleNoVel-v1 entry of hyperparams/s2pg_ppo.yml (z_dim 16, embeddings 64, value net [128, 128]) against
#: PPO with a [64, 64] policy and a [128, 128] value net
PROFILE_CASES = (
    ProfileCase("HopperPOMDP-v5", 1, None, None, "widths 128"),
    ProfileCase("CartPoleNoVel-v1", 8, None, None, "widths 128"),
    ProfileCase(
        "CartPoleNoVel-v1",
        8,
        256,
        256,
        "shipped entry: z_dim 16, widths 64, value net [128, 128]",
        {"z_dim": 16, "policy_kwargs": {"n_features": 64}},
        {"net_arch": {"pi": [64, 64], "vf": [128, 128]}},
    ),
)


def profile_model(
    name: str,
    case: ProfileCase,
    steps: int,
    n_steps: int,
    batch_size: int,
    n_epochs: int,
    optimizer_kwargs: dict,
):
    """``(env steps/s, {label: seconds})`` of S2PG-PPO or PPO on ``case``: rollout (policy forward, S2PG
    wrapper, env) and update; both algorithms' Adam takes ``optimizer_kwargs``."""
    env = make_vec_env(case.env_id, n_envs=case.n_envs, seed=0)
    common = {"n_steps": n_steps, "batch_size": batch_size, "n_epochs": n_epochs, "seed": 0, "device": "cpu"}
    if name == "S2PG-PPO":
        kwargs = dict(case.s2pg_kwargs)
        kwargs["policy_kwargs"] = {**kwargs.get("policy_kwargs", {}), "optimizer_kwargs": optimizer_kwargs}
        model = S2PGPPO("MlpPolicy", env, **kwargs, **common)
    else:
        policy_kwargs = {**case.ppo_policy_kwargs, "optimizer_kwargs": optimizer_kwargs}
        model = PPO("MlpPolicy", env, policy_kwargs=policy_kwargs, **common)
    model.learn(n_steps * case.n_envs)  # warm-up
    timers = Timers()
    timers.wrap(model, "collect_rollouts", "rollout")
    timers.wrap(model, "train", "update")
    timers.wrap(model.policy, "forward", "rollout: policy forward")
    wrapper = model.env
    timers.wrap(wrapper, "step", "rollout: env step (incl. wrapper)")
    if name == "S2PG-PPO":  # the S2PG wrapper's own cost is the difference of these two
        for attr in ("step_async", "step_wait"):
            timers.wrap(wrapper.venv, attr, "rollout: env step (inner env)")
    start = time.perf_counter()
    model.learn(steps, reset_num_timesteps=False)
    return steps / (time.perf_counter() - start), timers.seconds


def profile(args: argparse.Namespace) -> None:
    """Interleaved (S2PG-PPO, PPO, S2PG-PPO, PPO, ...) on each case; medians of the repeats."""
    for case in PROFILE_CASES:
        n_steps = case.n_steps or args.n_steps // case.n_envs
        batch_size = case.batch_size or args.batch_size
        runs: dict[str, list] = {"S2PG-PPO": [], "PPO": []}
        for _ in range(args.repeats):
            for name in runs:
                runs[name].append(
                    profile_model(
                        name, case, args.ppo_steps, n_steps, batch_size, args.n_epochs, args.optimizer_kwargs
                    )
                )
        print(
            f"\n{case.env_id}, {case.label}, {case.n_envs} env(s), n_steps {n_steps}, batch {batch_size}, "
            f"{args.n_epochs} epochs, Adam {args.optimizer_kwargs or 'defaults'}"
        )
        print("| algorithm | env steps/s | " + " | ".join(LABELS) + " |")
        print("|---|---|" + "---|" * len(LABELS))
        rates = {}
        for name, results in runs.items():
            rates[name] = float(np.median([rate for rate, _ in results]))
            cells = [
                f"{np.median([secs[label] for _, secs in results]):.2f} s" if label in results[0][1] else "-"
                for label in LABELS
            ]
            print(f"| {name} | {rates[name]:.0f} | " + " | ".join(cells) + " |")
        print(f"time per env step, S2PG-PPO / PPO = {rates['PPO'] / rates['S2PG-PPO']:.2f}x", flush=True)


LABELS = (
    "rollout",
    "rollout: policy forward",
    "rollout: env step (incl. wrapper)",
    "rollout: env step (inner env)",
    "update",
)


def update_time(name: str, grad_steps: int, batch_size: int, fill: int, device: str) -> float:
    stateful = name.startswith("S2PG")
    env = make_vec_env("HopperPrivileged-v5" if stateful else "HopperPOMDP-v5", n_envs=1, seed=0)
    cls = {"S2PG-SAC": S2PGSAC, "S2PG-SAC-256": S2PGSAC, "S2PG-TD3": S2PGTD3, "SAC": SAC, "TD3": TD3}[name]
    kwargs = {
        "learning_starts": fill,
        "batch_size": batch_size,
        "buffer_size": fill + 10,
        "seed": 0,
        "device": device,
    }
    if stateful:
        kwargs.update(z_dim=32, privileged_critic=True)
    if name == "S2PG-SAC-256":  # the official actor width
        kwargs["policy_kwargs"] = {"n_features": 256}
    model = cls("MlpPolicy", env, **kwargs)
    model.learn(fill)  # random actions only: fills the buffer
    model.train(gradient_steps=10, batch_size=batch_size)  # warm-up
    start = time.perf_counter()
    model.train(gradient_steps=grad_steps, batch_size=batch_size)
    return (time.perf_counter() - start) / grad_steps


def median_update_times(
    names: list[str], repeats: int, grad_steps: int, batch_size: int, device: str
) -> dict:
    """Interleaved repeats (A B C D A B C D ...), median per algorithm: robust to a shared, noisy CPU."""
    samples: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(repeats):
        for name in names:
            samples[name].append(update_time(name, grad_steps, batch_size, 1000, device))
    return {name: float(np.median(values)) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ppo-steps", type=int, default=4096)
    parser.add_argument("--n-steps", type=int, default=1024)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--n-epochs", type=int, default=10)
    parser.add_argument("--grad-steps", type=int, default=300)
    parser.add_argument("--off-batch-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--skip-ppo", action="store_true")
    parser.add_argument("--skip-off-policy", action="store_true")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="S2PG-PPO vs PPO at equal widths, where the time goes; then exit",
    )
    parser.add_argument(
        "--optimizer-kwargs",
        type=ast.literal_eval,
        default={},
        help="--profile: keyword arguments of both algorithms' Adam, e.g. \"{'fused': True}\"",
    )
    args = parser.parse_args()
    th.set_num_threads(args.threads)
    if args.profile:
        import rl_zoo3.import_envs  # noqa: F401  (registers CartPoleNoVel-v1)

        profile(args)
        return
    print(f"device={args.device} threads={args.threads}")
    if not args.skip_ppo:
        print(
            f"\n| algorithm (HopperPOMDP-v5, n_steps {args.n_steps}, batch {args.batch_size}, "
            f"{args.n_epochs} epochs) | env steps/s |"
        )
        print("|---|---|")
        rates = {}
        for name in ("S2PG-PPO", "RecurrentPPO", "PPO"):
            rates[name] = ppo_rate(
                name, args.ppo_steps, args.n_steps, args.batch_size, args.n_epochs, args.device
            )
            print(f"| {name} | {rates[name]:.0f} |", flush=True)
        print(f"\nS2PG-PPO / RecurrentPPO = {rates['S2PG-PPO'] / rates['RecurrentPPO']:.2f}x")
    if not args.skip_off_policy:
        print(
            f"\n| algorithm (batch {args.off_batch_size}, median of {args.repeats}) | ms per gradient step |"
        )
        print("|---|---|")
        names = ["S2PG-SAC", "S2PG-SAC-256", "SAC", "S2PG-TD3", "TD3"]
        times = median_update_times(names, args.repeats, args.grad_steps, args.off_batch_size, args.device)
        for name in names:
            print(f"| {name} | {1000 * times[name]:.2f} |", flush=True)
        print(
            f"\nS2PG-SAC / SAC = {times['S2PG-SAC'] / times['SAC']:.2f}x; "
            f"S2PG-TD3 / TD3 = {times['S2PG-TD3'] / times['TD3']:.2f}x"
        )


if __name__ == "__main__":
    main()
