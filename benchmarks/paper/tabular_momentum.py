"""Experiment 2: SPG-NM vs PG, APG, PG-HB and PG-Adam on the 3-armed bandit and the 5-state MDP, uniform and
hard initialisations (SPG-NM paper; protocol and step sizes of the APG repository), plus a lambda sweep
1e2..1e6 and a sampled-gradient run.

Step sizes (APG repo): PG and PG-HB eta = 0.4 on the bandit, (1 - gamma)^3 / 8 = 1.25e-4 on the MDP; APG and
SPG-NM take 0.5 eta t/(t+1); PG-Adam alpha = 1e-3. SPG-NM: rule A (recommended reconstruction), APG's step
schedule.

    python -m benchmarks.paper.tabular_momentum [--iterations 100000] [--seeds 20]

Writes docs/benchmarks/tabular-momentum/tabular_momentum.png, tabular_momentum_lambda.png, tabular_momentum_sampled.png and
tabular_momentum.md.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks.paper.tabular_common import DOCS, fmt, plot_gap, plt, save
from sb3_pgx.tabular import (
    APG,
    SPG,
    SPGNM,
    PGAdam,
    PGHeavyBall,
    bandit,
    five_state_mdp,
    policy_iteration,
    run,
)

LAMBDAS = np.array([1e2, 1e3, 1e4, 1e5, 1e6])
DEFAULT_LAMBDA = 1e3


def problems():
    """(label, mdp, theta0 stacked as (2, S, A) for [uniform, hard], PG step size)."""
    out = []
    for label, make, eta in (("bandit", bandit, 0.4), ("MDP", five_state_mdp, 1.25e-4)):
        mdp, uniform = make("uniform")
        _, hard = make("hard")
        out.append((label, mdp, np.stack([uniform, hard]), eta))
    return out


def methods(eta: float) -> dict:
    return {
        "PG": SPG(eta),
        "PG-HB": PGHeavyBall(eta, beta=0.5),
        "PG-Adam": PGAdam(1e-3),
        "APG": APG(eta),
        f"SPG-NM (lam={DEFAULT_LAMBDA:g})": SPGNM(eta, lam=DEFAULT_LAMBDA),
    }


INITS = ("uniform", "hard")


def gap_row(label: str, init: str, name: str, res, col: int, checks: list[int], acc: str) -> str:
    """One table row: the gap of run ``col`` of ``res`` at each checkpoint, its acceptance and non-finite steps."""
    cells = [fmt(res.gaps[np.searchsorted(res.iterations, t), col]) for t in checks]
    return f"| {label} | {init} | {name} | " + " | ".join(cells) + f" | {acc} | {res.n_nonfinite[col]} |"


def exact_rows(problem: tuple, t_max: int, checks: list[int], axes_row, axes_lambda_row) -> list[str]:
    """Every method, then SPG-NM at every lambda (one batched run), with exact gradients from both inits."""
    label, mdp, theta0, eta = problem
    j_star = policy_iteration(mdp).J
    lines = []
    for name, method in methods(eta).items():
        start = time.perf_counter()
        res = run(method, mdp, theta0, t_max, optimal_value=j_star)
        for col, init in enumerate(INITS):
            acc = fmt(res.accept_rate[col]) if method.has_acceptance else "-"
            lines.append(gap_row(label, init, name, res, col, checks, acc))
            plot_gap(axes_row[col], res.iterations, res.gaps[:, col], name)
            axes_row[col].set_title(f"{label}, {init} init")
        print(f"{label:6s} {name:22s} {time.perf_counter() - start:6.1f} s", flush=True)
    sweep = SPGNM(eta, lam=np.repeat(LAMBDAS, 2))
    res = run(sweep, mdp, np.tile(theta0, (len(LAMBDAS), 1, 1)), t_max, optimal_value=j_star)
    for col, init in enumerate(INITS):
        for k, lam_k in enumerate(LAMBDAS):
            i = 2 * k + col
            lines.append(
                gap_row(label, init, f"SPG-NM lam={lam_k:g}", res, i, checks, fmt(res.accept_rate[i]))
            )
            plot_gap(axes_lambda_row[col], res.iterations, res.gaps[:, i], f"lam={lam_k:g}")
        axes_lambda_row[col].set_title(f"SPG-NM lambda sweep: {label}, {init} init")
    return lines


def exact_section(t_max: int) -> list[str]:
    """The exact-gradient table (and its two figures)."""
    checks = [t for t in (10, 100, 1000, 10_000, 100_000, 1_000_000) if t <= t_max]
    lines = [
        f"Exact gradients, T = {t_max}. Each cell is the sub-optimality gap V*(rho) - V(rho) at iteration t; "
        "'0' means exactly 0 in float64. 'acc.' is the fraction of iterations whose extrapolation was "
        "accepted (and moved the iterate).",
        "",
        "| problem | init | method | " + " | ".join(f"t={t:g}" for t in checks) + " | acc. | non-finite |",
        "|---|---|---|" + "---|" * len(checks) + "---|---|",
    ]
    fig, axes = plt.subplots(2, 2, figsize=(12, 9))
    fig_l, axes_l = plt.subplots(2, 2, figsize=(12, 9))
    for row, problem in enumerate(problems()):
        lines += exact_rows(problem, t_max, checks, axes[row], axes_l[row])
    for figure, name in ((fig, "tabular_momentum.png"), (fig_l, "tabular_momentum_lambda.png")):
        for ax in figure.axes:
            ax.legend(fontsize=8)
        figure.tight_layout()
        save(figure, DOCS / "tabular-momentum" / name, dpi=110)
    return lines


def sampled_section(t_s: int, seeds: int) -> list[str]:
    """The sampled-gradient table (the APG repo's one-(s, a) oracle, ``seeds`` runs batched) and its figure."""
    lines = [
        "",
        f"Sampled gradients (one (s, a) per iteration, exact A at that pair), {seeds} seeds, T = {t_s}: "
        "mean (min..max) gap at T.",
        "",
        "| problem | init | method | gap at T | acc. |",
        "|---|---|---|---|---|",
    ]
    fig_s, axes_s = plt.subplots(2, 2, figsize=(12, 9))
    for row, (label, mdp, theta0, eta) in enumerate(problems()):
        j_star = policy_iteration(mdp).J
        for name, cls, kwargs in (
            ("PG", SPG, {}),
            ("APG", APG, {}),
            (f"SPG-NM (lam={DEFAULT_LAMBDA:g})", SPGNM, {"lam": DEFAULT_LAMBDA}),
        ):
            for col, init in enumerate(INITS):
                method = cls(eta, gradient="sampled", **kwargs)
                res = run(method, mdp, theta0[col], t_s, batch_size=seeds, seed=col, optimal_value=j_star)
                final = res.gaps[-1]
                acc = fmt(float(np.mean(res.accept_rate))) if method.has_acceptance else "-"
                lines.append(
                    f"| {label} | {init} | {name} | {fmt(final.mean())} ({fmt(final.min())}..{fmt(final.max())}) "
                    f"| {acc} |"
                )
                plot_gap(axes_s[row, col], res.iterations, res.gaps, name)
                axes_s[row, col].set_title(f"sampled gradient: {label}, {init} init ({seeds} seeds)")
    for ax in axes_s.flat:
        ax.legend(fontsize=8)
    fig_s.tight_layout()
    save(fig_s, DOCS / "tabular-momentum" / "tabular_momentum_sampled.png", dpi=110)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--iterations", type=int, default=100_000)
    parser.add_argument("--sampled-iterations", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    lines = exact_section(args.iterations) + sampled_section(args.sampled_iterations, args.seeds)
    (DOCS / "tabular-momentum" / "tabular_momentum.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
