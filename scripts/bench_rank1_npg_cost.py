"""Cost of one natural policy step: Rank1NPG's Sherman-Morrison step vs sb3-contrib TRPO's CG step.

Both algorithms get the same rollout size (``n_steps * n_envs``, default 2048 transitions of Hopper-v4, the
zoo's TRPO MuJoCo setting) and the same actor ``net_arch=[w, w]`` for each width w. After one rollout each,
the script times the actor update alone (median of ``--repeats`` runs after one warm-up):

- TRPO: ``train()`` with ``n_critic_updates=0`` (policy gradient, ``cg_max_steps`` CG iterations of
  Fisher-vector products, the backtracking line search and its logging);
- Rank1NPG: the actor part of ``train()`` (the natural direction, the step and the KL it measures), per
  ``fisher``.

It writes ``docs/benchmarks/rank1-cost/cost.csv``, ``cost.png`` (time vs actor parameter count, log-log)
and prints a markdown table with the ratio to TRPO and the log-log slope between the two largest widths
(1 = linear).

Usage: OMP_NUM_THREADS=1 python scripts/bench_rank1_npg_cost.py [--widths 64 256 1024] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch as th
from sb3_contrib import TRPO
from stable_baselines3.common.env_util import make_vec_env

from sb3_pgx import Rank1NPG

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT))
from benchmarks.plotting import plt, save  # noqa: E402


def actor_size(model) -> int:
    policy = model.policy
    if hasattr(policy, "actor_parameters"):
        return sum(p.numel() for p in policy.actor_parameters())
    names = ("value_net", "mlp_extractor.value_net", "vf_features_extractor")
    return sum(p.numel() for n, p in policy.named_parameters() if not n.startswith(names))


def median_time(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_trpo(env, width: int, n_steps: int, cg_steps: int, repeats: int, device: str) -> tuple[int, float]:
    arch = {"net_arch": {"pi": [width, width], "vf": [64, 64]}}
    model = TRPO("MlpPolicy", env, n_steps=n_steps, cg_max_steps=cg_steps, n_critic_updates=0,
                 policy_kwargs=arch, seed=0, device=device)  # fmt: skip
    model.learn(n_steps * env.num_envs)  # one rollout (and one update)
    return actor_size(model), median_time(model.train, repeats)


def bench_rank1(
    env, width: int, n_steps: int, fisher: str, repeats: int, device: str, kl_rescale: bool = False
) -> tuple[int, float]:
    arch = {"net_arch": {"pi": [width, width], "vf": [64, 64]}}
    model = Rank1NPG("MlpPolicy", env, n_steps=n_steps, fisher=fisher, policy_kwargs=arch, n_critic_epochs=1,
                     seed=0, device=device, kl_rescale=kl_rescale)  # fmt: skip
    model.learn(n_steps * env.num_envs)

    def actor_update() -> None:
        model._old_policy.load_state_dict(model.policy.state_dict())
        model._train_actor(model._prepare_train())
        if device != "cpu":
            th.cuda.synchronize()

    return actor_size(model), median_time(actor_update, repeats)


def variants(env, args: argparse.Namespace) -> dict:
    """Name -> ``width -> (actor parameters, seconds per actor update)``."""
    n, reps, device = args.n_steps, args.repeats, args.device
    return {
        "TRPO (CG 15)": lambda w: bench_trpo(env, w, n, 15, reps, device),
        "TRPO (CG 25, zoo MuJoCo)": lambda w: bench_trpo(env, w, n, 25, reps, device),
        "Rank1NPG per_sample": lambda w: bench_rank1(env, w, n, "per_sample", reps, device),
        "Rank1NPG per_sample + kl_rescale": lambda w: bench_rank1(
            env, w, n, "per_sample", reps, device, kl_rescale=True
        ),
        "Rank1NPG minibatch": lambda w: bench_rank1(env, w, n, "minibatch", reps, device),
        "Rank1NPG self_gradient": lambda w: bench_rank1(env, w, n, "self_gradient", reps, device),
    }


def print_table(rows: list[tuple], names: list[str], args: argparse.Namespace) -> None:
    """Milliseconds per update and the ratio to TRPO (CG 15) at each width, and the slope in d."""
    trpo = {w: s for n, w, _, s in rows if n == "TRPO (CG 15)"}
    print(
        f"\nBatch {args.n_steps * args.n_envs} transitions of {args.env}, "
        f"{args.threads} thread(s), {args.device}."
    )
    widths = " | ".join(f"w={w}" for w in args.widths)
    print(f"\n| variant | {widths} | slope (log t / log d), top two widths |")
    print("|---|" + "---|" * (len(args.widths) + 1))
    for name in names:
        sub = [(w, p, s) for n, w, p, s in rows if n == name]
        cells = [f"{1000 * s:.1f} ms ({s / trpo[w]:.2f}x)" for w, _, s in sub]
        (_, p1, s1), (_, p2, s2) = sub[-2], sub[-1]
        slope = np.log(s2 / s1) / np.log(p2 / p1) if len(sub) > 1 else float("nan")
        print(f"| {name} | " + " | ".join(cells) + f" | {slope:.2f} |")


def plot(rows: list[tuple], names: list[str], args: argparse.Namespace, path: Path) -> None:
    """Update time against actor parameters, log-log, with a linear reference."""
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for name in names:
        sub = [(p, s) for n, _, p, s in rows if n == name]
        ax.plot([p for p, _ in sub], [1000 * s for _, s in sub], marker="o", label=name)
    ps = np.array([p for n, _, p, _ in rows if n == "Rank1NPG per_sample"], dtype=float)
    ref = [1000 * s for n, _, _, s in rows if n == "Rank1NPG per_sample"][-1]
    ax.plot(ps, ref * ps / ps[-1], "k:", label="linear in d (reference)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("actor parameters d")
    ax.set_ylabel("one actor update (ms)")
    ax.set_title(
        f"Natural step cost, batch {args.n_steps * args.n_envs}, {args.env}, {args.threads} CPU thread"
    )
    ax.legend(fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    save(fig, path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--env", default="Hopper-v4")
    parser.add_argument("--widths", type=int, nargs="+", default=[64, 128, 256, 512, 1024])
    parser.add_argument("--n-envs", type=int, default=2)
    parser.add_argument("--n-steps", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=str(DOCS / "benchmarks" / "rank1-cost" / "cost"))
    args = parser.parse_args()
    th.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    timed = variants(make_vec_env(args.env, n_envs=args.n_envs, seed=0), args)
    rows = []
    for width in args.widths:
        for name, measure in timed.items():
            n_params, seconds = measure(width)
            rows.append((name, width, n_params, seconds))
            print(
                f"{name:34s} width {width:5d} actor params {n_params:9d}  {1000 * seconds:9.1f} ms",
                flush=True,
            )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_suffix(".csv"), "w") as f:
        f.write("variant,width,actor_params,seconds\n")
        f.writelines(f"{n},{w},{p},{s:.6f}\n" for n, w, p, s in rows)
    print_table(rows, list(timed), args)
    plot(rows, list(timed), args, out.with_suffix(".png"))
    print(f"\nwrote {out.with_suffix('.csv')} and {out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
