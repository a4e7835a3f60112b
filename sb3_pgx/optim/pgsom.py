"""PG-SOM: policy gradient with second-order momentum (Sun, arXiv 2505.11561), as a torch optimizer."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch as th

from sb3_pgx.common.steps import all_finite, clip_coefficient, total_norm
from sb3_pgx.common.validation import check_choice
from sb3_pgx.optim.hutchinson import hutchinson_diagonal

CURVATURES = ("return", "surrogate")
TrajectoryTerms = Callable[[], tuple[th.Tensor, th.Tensor]]


def score_square_diagonal(
    log_probs: th.Tensor, weights: th.Tensor, params: Sequence[th.Tensor]
) -> list[th.Tensor]:
    """``sum_i w_i * s_i (.) s_i`` with ``s_i = d log p(tau_i) / d theta``: the diagonal of the return-weighted
    score outer products of PG-SOM's Lemma 3.1 (one batched backward pass for all trajectories).

    :param log_probs: ``log p_theta(tau_i)`` of each trajectory (the sum of its steps' ``log pi(a_t|s_t)``),
        shape ``(n_trajectories,)``, with its graph
    :param weights: the weight of each trajectory (its return, with the sign and scale of the loss)
    :param params: the parameters
    """
    if len(log_probs) == 1:
        scores = th.autograd.grad(log_probs[0], params, retain_graph=True, allow_unused=True)
        return [
            th.zeros_like(p) if s is None else s.square() * weights[0]
            for s, p in zip(scores, params, strict=True)
        ]
    # all trajectories' scores in one batched (vmapped) backward pass: row i of the identity selects log p_i
    eye = th.eye(len(log_probs), dtype=log_probs.dtype, device=log_probs.device)
    scores = th.autograd.grad(
        log_probs, params, grad_outputs=eye, retain_graph=True, allow_unused=True, is_grads_batched=True
    )
    w = weights.to(log_probs.dtype)
    return [
        th.zeros_like(p) if s is None else th.tensordot(w, s.square(), dims=1)
        for s, p in zip(scores, params, strict=True)
    ]


def return_hessian_diagonal(
    grads: Sequence[th.Tensor],
    params: Sequence[th.Tensor],
    log_probs: th.Tensor,
    weights: th.Tensor,
    n_probes: int = 1,
    generator: th.Generator | None = None,
) -> list[th.Tensor]:
    """PG-SOM's diagonal curvature (Lemma 3.1, Appendix A.1) of ``L = -sum_i R_i log p(tau_i)``::

        diag(d2 L) = -sum_i R_i [ s_i (.) s_i + diag(d2 log p(tau_i)) ]

    The score term is exact; the second term is the Hessian diagonal of the loss itself (whose Hessian is
    ``-sum_i R_i d2 log p(tau_i)``), estimated with Hutchinson probes (unbiased). In expectation over
    trajectories this is the diagonal of the Hessian of the expected loss ``-J``.

    :param grads: ``autograd.grad(loss, params, create_graph=True)``
    :param params: the parameters
    :param log_probs: ``log p_theta(tau_i)`` per trajectory, with its graph
    :param weights: per-trajectory weights, ``-R_i`` times the loss's scale
    :param n_probes: Hutchinson probes for the ``d2 log p`` term
    :param generator: random generator for the probes
    """
    score = score_square_diagonal(log_probs, weights, params)  # first: it keeps the graph the probes free
    hessian = hutchinson_diagonal(grads, params, n_probes, generator)
    return [h + s for h, s in zip(hessian, score, strict=True)]


class PGSOM(th.optim.Optimizer):
    """Adam-style first moment of the gradient, with the second moment built from a diagonal-curvature estimate.

    Per step (PG-SOM's Algorithm 1, lines 3-7; our reconstruction of the parts the paper leaves open)::

        g = dL/dtheta                                  (create_graph=True)
        D = diagonal curvature estimate                 (see ``curvature``)
        g = g * min(1, max_grad_norm / |g|)            (if max_grad_norm is given)
        m = b1 m + (1 - b1) g,     v = b2 v + (1 - b2) D^2
        theta -= lr * (m / (1 - b1^k)) / ((v / (1 - b2^k))^(power/2) + eps)

    ``curvature`` chooses ``D``:

    - ``"return"`` (the paper's diagonal, used by ``REINFORCE(update="hessian")``): Lemma 3.1 decomposes the
      Hessian of the expected return into a return-weighted score outer product and the return-weighted
      Hessian of ``log p(tau)``, and Appendix A.1 keeps the diagonal of both, written with an element-wise
      product: ``D = -sum_i R_i [s_i (.) s_i + diag(d2 log p(tau_i))]`` for the loss ``-J``
      (:func:`return_hessian_diagonal`). The ``d2 log p`` part is the Hessian of the surrogate loss itself,
      estimated with Hutchinson probes (the paper's "unbiased stochastic estimators", "one extra backward
      pass"); the score part needs each trajectory's ``log p`` and weight, given by
      ``step(closure, trajectory_terms=...)``. This is the better reading of the text: the lemma is about the
      Hessian of the expected return, and the element-wise product it keeps only appears in the score term,
      which the surrogate's Hessian leaves out. (The paper's claim that this diagonal is positive for an
      exponential family does not hold in general: for a softmax policy ``d2 log p`` is negative
      semi-definite; the preconditioner is positive because ``v`` averages ``D^2``.)
    - ``"surrogate"`` (the previous default, and AdaHessian's recipe): ``D = z * (H z)``, ``z ~ Rademacher``,
      a Hutchinson estimate of the Hessian of the loss handed in (for REINFORCE, the surrogate
      ``-sum log pi * G``, which omits the score term); works with any loss, no trajectory terms.

    Squaring ``D`` inside the moving average (AdaHessian) makes the preconditioner positive; that choice,
    the betas, eps and the single probe are reconstructions. Clipping rescales the gradient entering the first
    moment only; ``D`` is the curvature estimate of the loss itself (``clip_hessian=True`` rescales ``D`` by
    the same factor, which cancels the clipping in ``m / sqrt(v)``; the paper's finding that clipping changes
    Hessian PG's results points to the default).

    Usage: ``step(closure)`` where ``closure()`` returns the loss **without** calling ``backward`` (the
    optimizer differentiates it twice), or ``step()`` after ``loss.backward(create_graph=True)``. With
    ``curvature="return"`` also pass ``trajectory_terms``, a callable returning ``(log_probs, weights)``: each
    trajectory's ``log p_theta(tau_i)`` (with its graph) and its weight ``-R_i`` times the loss's scale (1 for a
    loss summed over steps). SB3's A2C/PPO call ``step()`` after a plain ``backward()``; that raises, because
    the Hessian needs the gradient's graph.

    A non-finite loss, gradient or Hessian estimate skips the step (weights and moments untouched) and is
    counted in ``n_nonfinite``. ``last_stats`` holds the last step's Hessian-diagonal statistics and update
    norm (0-d tensors).

    :param params: parameters or parameter groups
    :param lr: step size
    :param betas: (beta1, beta2) of the two moving averages
    :param eps: added to the preconditioner
    :param hessian_power: exponent k of ``v^(k/2)`` (1: AdaHessian's default)
    :param n_probes: Rademacher probes per step
    :param max_grad_norm: global gradient-norm clipping (None: off)
    :param clip_hessian: apply the clipping factor to the Hessian estimate too
    :param curvature: ``"surrogate"`` (Hutchinson on the loss; the default of the bare optimizer, which only
        sees a loss) or ``"return"`` (the paper's diagonal; needs ``trajectory_terms``)
    :param seed: seed of the probe generator, created on the parameters' device (None: torch's global
        generator)
    """

    #: our closures return the loss; the optimizer calls autograd itself
    differentiates_closure = True

    def __init__(
        self,
        params: Iterable[th.Tensor] | Iterable[dict[str, Any]],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        hessian_power: float = 1.0,
        n_probes: int = 1,
        max_grad_norm: float | None = None,
        clip_hessian: bool = False,
        curvature: str = "surrogate",
        seed: int | None = None,
    ) -> None:
        if not lr > 0:
            raise ValueError(f"lr must be > 0; got {lr!r}")
        if not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"betas must be in [0, 1); got {betas!r}")
        if not eps > 0:
            raise ValueError(f"eps must be > 0; got {eps!r}")
        if not 0.0 < hessian_power <= 1.0:
            raise ValueError(f"hessian_power must be in (0, 1]; got {hessian_power!r}")
        if n_probes < 1:
            raise ValueError(f"n_probes must be an integer >= 1; got {n_probes!r}")
        if max_grad_norm is not None and not max_grad_norm > 0:
            raise ValueError(f"max_grad_norm must be > 0 or None; got {max_grad_norm!r}")
        check_choice("curvature", curvature, CURVATURES)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "hessian_power": hessian_power}
        super().__init__(params, defaults)
        self.n_probes = n_probes
        self.max_grad_norm = max_grad_norm
        self.clip_hessian = clip_hessian
        self.curvature = curvature
        self.generator: th.Generator | None = None
        if seed is not None:
            # the probes are drawn on the parameters' device: a CPU generator cannot drive a CUDA randint
            self.generator = th.Generator(device=self.param_groups[0]["params"][0].device)
            self.generator.manual_seed(seed)
        self.n_nonfinite = 0
        self.last_stats: dict[str, float] = {}

    def _params(self) -> list[th.Tensor]:
        return [p for group in self.param_groups for p in group["params"] if p.requires_grad]

    def _curvature(
        self, grads: list[th.Tensor], params: list[th.Tensor], trajectory_terms: TrajectoryTerms | None
    ) -> list[th.Tensor]:
        """The diagonal curvature estimate ``D`` of the loss (see ``curvature``)."""
        if self.curvature == "return":
            assert trajectory_terms is not None
            log_probs, weights = trajectory_terms()
            return return_hessian_diagonal(grads, params, log_probs, weights, self.n_probes, self.generator)
        return hutchinson_diagonal(grads, params, self.n_probes, self.generator)

    def _apply(self, params: list[th.Tensor], grads: list[th.Tensor], diag: list[th.Tensor]) -> th.Tensor:
        """The moment updates and the preconditioned step; returns the squared norm of the step."""
        by_param = {id(p): (g, d) for p, g, d in zip(params, grads, diag, strict=True)}
        update_sq = th.zeros((), device=params[0].device)
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if not p.requires_grad:
                    continue
                g, d = by_param[id(p)]
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = th.zeros_like(p)
                    state["exp_hessian_sq"] = th.zeros_like(p)
                state["step"] += 1
                k = state["step"]
                state["exp_avg"].mul_(b1).add_(g, alpha=1 - b1)
                state["exp_hessian_sq"].mul_(b2).addcmul_(d, d, value=1 - b2)
                m_hat = state["exp_avg"] / (1 - b1**k)
                v_hat = state["exp_hessian_sq"] / (1 - b2**k)
                denom = v_hat.pow(group["hessian_power"] / 2).add_(group["eps"])
                update = m_hat.div_(denom).mul_(group["lr"])
                p.sub_(update)
                update_sq += update.square().sum()
        return update_sq

    @th.no_grad()
    def step(  # type: ignore[override]
        self, closure: Callable[[], th.Tensor] | None = None, trajectory_terms: TrajectoryTerms | None = None
    ) -> th.Tensor | None:
        """One update; see the class docstring for ``closure`` and ``trajectory_terms``.

        :param closure: returns the loss with its graph (None: use the ``.grad`` of a
            ``backward(create_graph=True)``)
        :param trajectory_terms: each trajectory's ``log p`` and weight (``curvature="return"``)
        """
        if self.curvature == "return" and trajectory_terms is None:
            raise ValueError(
                "curvature='return' needs step(closure, trajectory_terms=...) giving each trajectory's log p and "
                "weight; use curvature='surrogate' for a loss without trajectories"
            )
        params = self._params()
        loss = None
        with th.enable_grad():
            if closure is not None:
                loss = closure()
                if not th.isfinite(loss):
                    self.n_nonfinite += 1
                    return loss
                grads = list(th.autograd.grad(loss, params, create_graph=True, allow_unused=True))
                grads = [g if g is not None else th.zeros_like(p) for g, p in zip(grads, params, strict=True)]
            else:
                grads = [p.grad for p in params]
                if any(g is None or g.grad_fn is None for g in grads):
                    raise RuntimeError(
                        "PGSOM needs the gradient's graph: pass step(closure) with a closure that returns "
                        "the loss, "
                        "or call loss.backward(create_graph=True) before step()"
                    )
            grad_norm = total_norm([g.detach() for g in grads])
            scale = clip_coefficient(grad_norm, self.max_grad_norm)
            diag = self._curvature(grads, params, trajectory_terms)
            if self.clip_hessian:
                diag = [d * scale for d in diag]
            grads = [g * scale for g in grads]
        grads = [g.detach() for g in grads]
        for p, g in zip(params, grads, strict=True):
            p.grad = g  # for logging and for anyone reading .grad after the step
        if not all_finite(grads + diag):
            self.n_nonfinite += 1
            return loss
        update_sq = self._apply(params, grads, diag)
        flat_d = th.cat([d.flatten() for d in diag])
        # 0-d tensors: no device sync here; the algorithm reads them once per train() when it logs
        self.last_stats = {
            "hessian_diag_mean": flat_d.mean(),
            "hessian_diag_abs_mean": flat_d.abs().mean(),
            "hessian_diag_std": flat_d.std(),
            "update_norm": update_sq.sqrt(),
            "grad_norm": grad_norm,
            "clip_scale": scale,
        }
        return loss
