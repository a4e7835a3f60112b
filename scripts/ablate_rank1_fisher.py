"""Fisher ablation for Rank1NPG: the same training loop (rollouts, critic, KL-normalised step, ``kl_rescale``
or line search) with the actor's direction computed under another approximation of the Fisher, to tell what
the damped rank-1 Fisher loses from what the rest of the loop loses.

``--direction``:

- ``rank1``: the package's Rank1NPG (the zoo file's ``fisher`` reading), for reference;
- ``exact_ef``: the exact damped empirical Fisher ``F = damping I + (1/N) G^T G`` (G: the N x d per-sample
  scores), solved in sample space with Woodbury, ``d = G^T (damping N I + G G^T)^-1 A``: O(N^2) memory;
- ``diag_ef``: a diagonal base instead of ``damping I``: ``F = diag((1/N) sum_i g_i^2) + damping I + u u^T``
  with u = g_j (Sherman-Morrison with a diagonal base, still O(d));
- ``true_fisher_cg``: TRPO's direction, sb3-contrib's conjugate gradient (25 steps, its random start of scale
  1e-4) on the analytic KL Hessian plus ``damping I``: checks that the loop itself can match sb3-contrib's TRPO.

Per-sample scores are materialised (N x d), so this is for the small MLP policies of the returns benchmark,
not for CNNs. Everything after ``--`` goes to ``python -m rl_zoo3.train`` (use ``--algo rank1_npg``; the zoo
file's settings apply, ``--hyperparams`` overrides them). Example (Hopper-v4, 100k steps, seed 0)::

    OMP_NUM_THREADS=1 python scripts/ablate_rank1_fisher.py --direction exact_ef --ablation-damping 0.1 -- \\
        --algo rank1_npg --env Hopper-v4 -n 100000 --seed 0 -f logs/ablation --eval-freq 20000 \\
        --eval-episodes 10 --n-eval-envs 1
"""

from __future__ import annotations

import argparse
import copy
import sys

import torch as th
from sb3_contrib.common.utils import conjugate_gradient_solver
from torch import nn

from sb3_pgx.common.surrogates import analytic_kl
from sb3_pgx.rank1_npg import Rank1NPG
from sb3_pgx.rank1_npg.fisher import GhostNorms, NaturalDirection, flat, flat_grad, ghost_norm_modules

DIRECTIONS = ("rank1", "exact_ef", "diag_ef", "true_fisher_cg")
CG_STEPS = 25


class FisherAblation(Rank1NPG):
    """Rank1NPG whose actor direction (:meth:`Rank1NPG._natural_direction`, the step's direction) comes from
    ``direction_kind`` (set by :func:`ablation_class`)."""

    direction_kind = "rank1"
    ablation_damping = 0.1

    def _setup_model(self) -> None:
        super()._setup_model()
        if self._ghost is None and self.direction_kind in ("exact_ef", "diag_ef"):
            self._ghost = GhostNorms(ghost_norm_modules(self.policy, self._actor_params))

    def _natural_direction(
        self, log_prob: th.Tensor, advantages: th.Tensor, leaves: list[th.Tensor], obs: th.Tensor
    ) -> NaturalDirection:
        if self.direction_kind == "rank1":
            return super()._natural_direction(log_prob, advantages, leaves, obs)
        advantages = advantages.detach()
        grad = flat_grad((advantages * log_prob).mean(), self._actor_params)
        lam = self.ablation_damping
        if self.direction_kind == "true_fisher_cg":
            direction = self._cg_direction(grad, obs, lam)
            return NaturalDirection(direction, grad, grad @ direction, grad @ grad)
        scores = self._per_sample_scores(log_prob, leaves)  # (N, d)
        n = scores.shape[0]
        if self.direction_kind == "exact_ef":
            # Woodbury: (lam I + G^T G / N)^-1 G^T A / N = G^T (lam N I + G G^T)^-1 A
            g64 = scores.double()
            gram = g64 @ g64.T + lam * n * th.eye(n, dtype=g64.dtype, device=g64.device)
            direction = (g64.T @ th.linalg.solve(gram, advantages.double())).to(grad.dtype)
            return NaturalDirection(direction, grad, grad @ direction, scores.pow(2).sum(1).mean())
        # diag_ef: Sherman-Morrison with the diagonal base B = diag(mean_i g_i^2) + lam I and u = g_j:
        # B^-1 v - B^-1 u (u^T B^-1 v) / (1 + u^T B^-1 u)
        base_inv = 1.0 / (scores.pow(2).mean(0) + lam)
        u = scores[int(th.randint(n, (1,)).item())]
        bv, bu = base_inv * grad, base_inv * u
        direction = bv - bu * (u @ bv) / (1.0 + u @ bu)
        return NaturalDirection(direction, grad, grad @ direction, u @ u)

    def _per_sample_scores(self, log_prob: th.Tensor, leaves: list[th.Tensor]) -> th.Tensor:
        """Rows ``grad_theta log pi(a_i|s_i)`` in the order of the actor's parameters (Linear layers and a
        Gaussian log-std only)."""
        records = self._ghost._records  # type: ignore[union-attr]
        outputs = [out for _, _, out in records]
        grads = th.autograd.grad(log_prob.sum(), [*outputs, *leaves], retain_graph=True, allow_unused=True)
        n = len(log_prob)
        rows: dict[int, th.Tensor] = {}
        for (module, x, _), g in zip(records, grads[: len(outputs)], strict=True):
            if not isinstance(module, nn.Linear) or x.dim() != 2:
                raise ValueError("the Fisher ablation supports MLP policies (nn.Linear on flat inputs) only")
            rows[id(module.weight)] = (g[:, :, None] * x[:, None, :]).reshape(n, -1)
            if module.bias is not None:
                rows[id(module.bias)] = g
        for g in grads[len(outputs) :]:
            rows[id(self.policy.log_std)] = g.reshape(n, -1)
        return th.cat([rows[id(p)] for p in self._actor_params], dim=1).detach()

    def _cg_direction(self, grad: th.Tensor, obs: th.Tensor, lam: float) -> th.Tensor:
        """``(H_KL + lam I)^-1 grad`` by conjugate gradient, H_KL the Hessian of the mean KL at pi_old."""
        params = self._actor_params
        with th.no_grad():  # a shallow copy: SB3 re-fills the distribution object in place (as Rank1NPG)
            old = copy.copy(self.policy.get_distribution(obs))
        kl = analytic_kl(old, self.policy.get_distribution(obs)).mean()
        kl_grad = flat(th.autograd.grad(kl, params, create_graph=True), params)

        def fisher_product(v: th.Tensor) -> th.Tensor:
            return flat_grad(kl_grad @ v, params) + lam * v

        return conjugate_gradient_solver(fisher_product, grad, max_iter=CG_STEPS).detach()


def ablation_class(kind: str, damping: float) -> type[FisherAblation]:
    """A :class:`FisherAblation` subclass fixed to one direction and damping (the zoo instantiates classes)."""
    return type(
        "Rank1NPGFisherAblation", (FisherAblation,), {"direction_kind": kind, "ablation_damping": damping}
    )


def main() -> None:
    argv = sys.argv[1:]
    zoo_args = argv[argv.index("--") + 1 :] if "--" in argv else []
    own = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--direction", choices=DIRECTIONS, required=True)
    parser.add_argument("--ablation-damping", type=float, default=0.1, help="lambda of the ablated Fisher")
    args = parser.parse_args(own)
    if args.ablation_damping <= 0:
        parser.error(f"--ablation-damping must be > 0, got {args.ablation_damping}")

    from rl_zoo3 import utils as zoo_utils
    from rl_zoo3.train import train

    zoo_utils.ALGOS["rank1_npg"] = ablation_class(args.direction, args.ablation_damping)
    sys.argv = ["rl_zoo3.train", *zoo_args]
    train()


if __name__ == "__main__":
    main()
