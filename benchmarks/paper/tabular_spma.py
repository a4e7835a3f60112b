"""Experiment 1: SPMA vs NPG vs SPG on CliffWorld and FrozenLake (SPMA paper, Appendix C.1, Figures 3-4),
exact gradients, uniform initialisation, with a step-size sweep (each sweep is one batched run).

    python -m benchmarks.paper.tabular_spma [--iterations 10000]

Writes docs/benchmarks/tabular-spma/tabular_spma.png, tabular_spma_sensitivity.png and tabular_spma.md.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks.paper.tabular_common import DOCS, fmt, plot_gap, plt, save
from sb3_pgx.tabular import NPG, SPG, SPMA, cliff_world, frozen_lake, log_checkpoints, policy_iteration, run

ETAS = np.logspace(-3, 3, 13)  # 1e-3 .. 1e3, half-decade steps
METHODS = {"SPMA": SPMA, "NPG": NPG, "SPG": SPG}
COLORS = {"SPMA": "tab:blue", "NPG": "tab:red", "SPG": "tab:green"}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--iterations", type=int, default=10_000)
    parser.add_argument("--gamma", type=float, default=0.9)
    args = parser.parse_args()
    t_max = args.iterations
    ckpts = np.unique(np.concatenate([log_checkpoints(t_max), np.linspace(0, t_max, 501).astype(int)]))
    envs = [cliff_world(gamma=args.gamma), frozen_lake(gamma=args.gamma)]
    p = plt
    fig, axes = p.subplots(1, 2, figsize=(12, 4.5))
    fig_s, axes_s = p.subplots(1, 2, figsize=(12, 4.5))
    lines = [
        f"T = {t_max} exact iterations, gamma = {args.gamma}, uniform initial policy, step sizes "
        f"{', '.join(fmt(e) for e in ETAS)} (best by area under the gap curve; "
        "for SPMA only among step sizes "
        "where Eq. 3 stays a valid update, 1 + eta A >= 0 at every step).",
        "",
        "| env | method | best eta | gap at t=10 | t=100 | t=1000 | t=T | AUC (mean gap) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for env, ax, ax_s in zip(envs, axes, axes_s, strict=True):
        j_star = policy_iteration(env).J
        theta0 = np.zeros((env.n_states, env.n_actions))
        for name, cls in METHODS.items():
            method = cls(ETAS)
            start = time.perf_counter()
            res = run(method, env, theta0, t_max, checkpoints=ckpts, optimal_value=j_star)
            auc = np.trapezoid(res.gaps, res.iterations, axis=0) / t_max
            # SPMA's Eq. 3 is only defined while 1 + eta A >= 0; a run that needed the floor is not Eq. 3 any
            # more
            valid = method.n_floored == 0 if isinstance(method, SPMA) else np.ones(len(ETAS), bool)
            best = int(np.nanargmin(np.where(np.isfinite(auc) & valid, auc, np.inf)))
            g = res.gaps[:, best]
            at = {t: g[np.searchsorted(res.iterations, t)] for t in (10, 100, 1000, t_max)}
            lines.append(
                f"| {env.name} | {name} | {fmt(ETAS[best])} | {fmt(at[10])} | {fmt(at[100])} "
                f"| {fmt(at[1000])} "
                f"| {fmt(at[t_max])} | {fmt(auc[best])} |"
            )
            plot_gap(ax, res.iterations, g, f"{name} (eta={fmt(ETAS[best])})", color=COLORS[name])
            ax_s.plot(ETAS[valid], np.maximum(auc[valid], 1e-16), "o-", label=name, color=COLORS[name])
            if not valid.all():
                ax_s.plot(ETAS[~valid], np.maximum(auc[~valid], 1e-16), "x:", color=COLORS[name],
                          label=f"{name}, 1 + eta A < 0 (floored, not Eq. 3)")  # fmt: skip
            print(f"{env.name:10s} {name:5s} best eta {ETAS[best]:.3g}: final gap {at[t_max]:.3g} "
                  f"({time.perf_counter() - start:.1f} s)", flush=True)  # fmt: skip
        ax.set_title(f"{env.name} (V* = {j_star:.4g})")
        ax.legend()
        ax_s.set(
            xscale="log", yscale="log", xlabel="step size eta", ylabel="mean gap over T iterations (AUC / T)"
        )
        ax_s.set_title(f"{env.name}: step-size sensitivity")
        ax_s.legend()
    fig.tight_layout()
    save(fig, DOCS / "tabular-spma" / "tabular_spma.png", dpi=110)
    fig_s.tight_layout()
    save(fig_s, DOCS / "tabular-spma" / "tabular_spma_sensitivity.png", dpi=110)
    (DOCS / "tabular-spma" / "tabular_spma.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
