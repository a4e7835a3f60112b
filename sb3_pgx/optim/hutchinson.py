"""Hutchinson's estimator of a Hessian diagonal: ``E_z[z * (H z)] = diag(H)`` for Rademacher ``z``."""

from __future__ import annotations

from collections.abc import Sequence

import torch as th


def rademacher_like(t: th.Tensor, generator: th.Generator | None = None) -> th.Tensor:
    """A tensor of i.i.d. +-1 entries with the shape, dtype and device of ``t``.

    :param t: the tensor whose shape, dtype and device are copied (its values are not read)
    :param generator: random generator (None: torch's global one); it must be on ``t``'s device
    """
    bits = th.randint(0, 2, t.shape, generator=generator, device=t.device)
    return bits.to(t.dtype).mul_(2).sub_(1)


def hutchinson_diagonal(
    grads: Sequence[th.Tensor],
    params: Sequence[th.Tensor],
    n_probes: int = 1,
    generator: th.Generator | None = None,
    retain_graph: bool = False,
) -> list[th.Tensor]:
    """Unbiased estimate of the Hessian diagonal from gradients built with ``create_graph=True``.

    One extra backward pass per probe: ``h = d(g . z)/d theta = H z``, and ``z * h`` has expectation
    ``diag(H)``.

    :param grads: ``autograd.grad(loss, params, create_graph=True)``
    :param params: the parameters the gradients are taken with respect to
    :param n_probes: number of Rademacher probes averaged
    :param generator: random generator for the probes (None: torch's global one)
    :param retain_graph: keep the double-backward graph after the last probe
    """
    if n_probes < 1:
        raise ValueError(f"n_probes must be an integer >= 1; got {n_probes!r}")
    estimate = [th.zeros_like(p) for p in params]
    for k in range(n_probes):
        zs = [rademacher_like(p, generator) for p in params]
        hvps = th.autograd.grad(
            grads, params, grad_outputs=zs, retain_graph=retain_graph or k < n_probes - 1, allow_unused=True
        )
        for est, z, hz in zip(estimate, zs, hvps, strict=True):
            if hz is not None:
                est.add_(z * hz, alpha=1.0 / n_probes)
    return estimate
