"""Damped rank-1 Fisher machinery: Sherman-Morrison products and per-sample score norms in O(N + d).

For ``F = damping * I + u u^T`` (d x d, never formed)::

    F^-1 v   = (1/damping) * (v - u (u^T v) / (damping + ||u||^2))
    v^T F^-1 v = (1/damping) * (||v||^2 - (u^T v)^2 / (damping + ||u||^2))

Per-sample squared score norms ``||grad_theta log pi(a_i|s_i)||^2`` come from one backward pass to the outputs
of the Linear / Conv2d layers (the "ghost norm" trick of DP-SGD: for a linear layer the per-sample weight
gradient is ``delta_i x_i^T``, whose squared norm is ``||delta_i||^2 ||x_i||^2``), so nothing of size N x d is
ever built.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch as th
from stable_baselines3.common.distributions import DiagGaussianDistribution, StateDependentNoiseDistribution
from stable_baselines3.common.policies import ActorCriticPolicy, BaseModel
from torch import nn
from torch.nn import functional as F

FISHER_MODES = ("per_sample", "minibatch", "self_gradient")
#: the largest unfolded-patch tensor built at once for a Conv2d layer's per-sample norms
CONV_CHUNK_ELEMENTS = 2**25


# ----------------------------------------------------------------------------------------------
# Sherman-Morrison
def sherman_morrison_solve(v: th.Tensor, u: th.Tensor, damping: float) -> th.Tensor:
    """``(damping I + u u^T)^-1 v`` in O(d) time and memory (flat vectors).

    :param v: the right-hand side
    :param u: the rank-1 term's vector
    :param damping: lambda > 0
    """
    return (v - u * (u @ v) / (damping + u @ u)) / damping


def sherman_morrison_quadratic(v: th.Tensor, u: th.Tensor, damping: float) -> th.Tensor:
    """``v^T (damping I + u u^T)^-1 v`` in O(d).

    :param v: the vector
    :param u: the rank-1 term's vector
    :param damping: lambda > 0
    """
    return (v @ v - (u @ v) ** 2 / (damping + u @ u)) / damping


def flat(tensors: Sequence[th.Tensor | None], like: Sequence[th.Tensor]) -> th.Tensor:
    """Concatenate gradients into one flat vector (``None``: zeros of the matching parameter).

    :param tensors: the gradients (or None) in the order of ``like``
    :param like: the parameters they belong to
    """
    return th.cat(
        [(th.zeros_like(p) if t is None else t).reshape(-1) for t, p in zip(tensors, like, strict=True)]
    )


def flat_grad(output: th.Tensor, params: Sequence[th.Tensor], retain_graph: bool = True) -> th.Tensor:
    """The gradient of a scalar as one flat vector (zeros for parameters it does not depend on).

    :param output: the scalar
    :param params: the parameters to differentiate
    :param retain_graph: keep the graph for further backward passes
    """
    return flat(th.autograd.grad(output, params, retain_graph=retain_graph, allow_unused=True), params)


# ---------------------------------------------------------------------------------------------- ghost norms
class GhostNorms:
    """Records the inputs and outputs of the given Linear / Conv2d modules during one forward pass, then
    computes per-sample squared gradient norms of a per-sample objective from one backward pass to those
    outputs.

    Use as a context manager around the forward pass. Each module may run at most once per forward.

    :param modules: the Linear / Conv2d modules whose parameters are covered
    """

    def __init__(self, modules: Sequence[nn.Module]) -> None:
        for module in modules:
            if not isinstance(module, (nn.Linear, nn.Conv2d)):
                raise ValueError(f"ghost norms support nn.Linear and nn.Conv2d, got {type(module).__name__}")
            if isinstance(module, nn.Conv2d) and (module.groups != 1 or module.padding_mode != "zeros"):
                raise ValueError("ghost norms support Conv2d with groups=1 and padding_mode='zeros' only")
        self.modules = list(modules)
        self._records: list[tuple[nn.Module, th.Tensor, th.Tensor]] = []
        self._handles: list = []

    def __enter__(self) -> GhostNorms:
        self._records = []
        self._handles = [m.register_forward_hook(self._hook) for m in self.modules]
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def _hook(self, module: nn.Module, inputs: tuple[th.Tensor, ...], output: th.Tensor) -> None:
        if any(m is module for m, _, _ in self._records):
            raise RuntimeError(
                f"{type(module).__name__} ran twice in one forward pass: per-sample norms need one call"
            )
        self._records.append((module, inputs[0].detach(), output))

    def sq_norms(self, per_sample: th.Tensor, extra: Sequence[th.Tensor] = ()) -> th.Tensor:
        """``||grad_theta f_i||^2`` for each sample i of ``per_sample = (f_1, ..., f_N)``, where f_i depends
        only on row i of the batch. ``extra``: per-sample leaves of shape (N, ...) standing for other
        parameters (e.g. an expanded log-std); their rows are the per-sample gradients. The graph is
        retained.

        :param per_sample: (N,) per-sample objective, from the recorded forward pass
        :param extra: per-sample leaves of shape (N, ...)
        """
        outputs = [out for _, _, out in self._records]
        grads = th.autograd.grad(per_sample.sum(), [*outputs, *extra], retain_graph=True, allow_unused=True)
        total = th.zeros_like(per_sample)
        for (module, x, _), g in zip(self._records, grads[: len(outputs)], strict=True):
            if g is None:
                continue
            norm = _linear_sq_norm if isinstance(module, nn.Linear) else _conv_sq_norm
            total = total + norm(module, x, g)
        for leaf, g in zip(extra, grads[len(outputs) :], strict=True):
            if g is not None:
                total = total + g.reshape(len(leaf), -1).pow(2).sum(1)
        return total


def _outer_sq_norm(g: th.Tensor, x: th.Tensor) -> th.Tensor:
    """``||sum_t g_t x_t^T||_F^2`` per sample for g (N, T, p), x (N, T, q): the cheaper of materialising the
    (N, p, q) per-sample gradients or the ghost form ``sum_{t,t'} (g_t.g_t')(x_t.x_t')`` (N, T, T)."""
    n, t, p = g.shape
    q = x.shape[-1]
    if t == 1:
        return g.pow(2).sum((1, 2)) * x.pow(2).sum((1, 2))
    if t * t <= p * q:
        return (th.bmm(g, g.transpose(1, 2)) * th.bmm(x, x.transpose(1, 2))).sum((1, 2))
    return th.bmm(g.transpose(1, 2), x).pow(2).sum((1, 2))


def _linear_sq_norm(module: nn.Linear, x: th.Tensor, g: th.Tensor) -> th.Tensor:
    n = x.shape[0]
    x3, g3 = x.reshape(n, -1, x.shape[-1]), g.reshape(n, -1, g.shape[-1])
    total = _outer_sq_norm(g3, x3)
    if module.bias is not None and module.bias.requires_grad:
        total = total + g3.sum(1).pow(2).sum(1)
    return total


def _conv_sq_norm(module: nn.Conv2d, x: th.Tensor, g: th.Tensor) -> th.Tensor:
    """Per-sample squared norm of a Conv2d's kernel (and bias) gradient, in chunks of samples so that the
    unfolded input patches stay under ``CONV_CHUNK_ELEMENTS`` elements (an Atari rollout of 1024 frames would
    otherwise unfold to ~10^8 numbers in the first layer)."""
    n = x.shape[0]
    kernel, stride = module.kernel_size[0] * module.kernel_size[1], module.stride[0] * module.stride[1]
    per_sample = max(1, x[0].numel() * kernel // stride)
    chunk = max(1, CONV_CHUNK_ELEMENTS // per_sample)
    parts = []
    for lo in range(0, n, chunk):
        xc, gc = x[lo : lo + chunk], g[lo : lo + chunk]
        patches = F.unfold(
            xc, module.kernel_size, dilation=module.dilation, padding=module.padding, stride=module.stride
        )
        g3 = gc.reshape(len(gc), gc.shape[1], -1).transpose(1, 2)  # (n, T, C_out)
        part = _outer_sq_norm(g3, patches.transpose(1, 2))  # patches: (n, T, C_in * k * k)
        if module.bias is not None and module.bias.requires_grad:
            part = part + g3.sum(1).pow(2).sum(1)
        parts.append(part)
    return th.cat(parts)


# ---------------------------------------------------------------------------------------------- the policy
# side
def ghost_norm_modules(policy: ActorCriticPolicy, params: Sequence[nn.Parameter]) -> list[nn.Module]:
    """The Linear / Conv2d modules holding ``params`` (the actor's), or a ``ValueError`` naming what is not
    covered (``log_std`` of a diagonal Gaussian is handled apart).

    :param policy: the SB3 policy
    :param params: the actor's parameters
    """
    if isinstance(policy.action_dist, StateDependentNoiseDistribution):
        raise ValueError(
            "fisher='per_sample' does not support use_sde=True "
            "(allowed with gSDE: fisher='minibatch' or 'self_gradient')"
        )
    wanted = {id(p) for p in params}
    covered: set[int] = set()
    modules = []
    for module in policy.modules():
        own = [p for p in module.parameters(recurse=False) if id(p) in wanted]
        if not own:
            continue
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            GhostNorms([module])  # validates
            modules.append(module)
            covered.update(id(p) for p in own)
    log_std = getattr(policy, "log_std", None)
    if isinstance(log_std, nn.Parameter):
        covered.add(id(log_std))
    missing = [name for name, p in policy.named_parameters() if id(p) in wanted and id(p) not in covered]
    if missing:
        raise ValueError(
            "fisher='per_sample' needs per-sample score norms (nn.Linear, nn.Conv2d and log_std only); "
            f"not for {missing} (allowed with other layers: fisher='minibatch' or 'self_gradient')"
        )
    return modules


def actor_log_prob(
    policy: ActorCriticPolicy,
    obs: th.Tensor | dict[str, th.Tensor],
    actions: th.Tensor,
    per_sample_leaves: bool,
) -> tuple[th.Tensor, list[th.Tensor]]:
    """``log pi(a_i|s_i)`` for the batch, and (``per_sample_leaves``) the per-sample stand-ins of parameters
    that are not inside a Linear/Conv2d layer: the diagonal Gaussian's ``log_std`` expanded to (N,
    action_dim).

    :param policy: the SB3 policy
    :param obs: the batch's observations
    :param actions: the batch's actions (as ``log_prob`` wants them)
    :param per_sample_leaves: build the per-sample leaves (for ``fisher="per_sample"``)
    """
    features = BaseModel.extract_features(policy, obs, policy.pi_features_extractor)  # as get_distribution
    latent = policy.mlp_extractor.forward_actor(features)
    leaves: list[th.Tensor] = []
    if per_sample_leaves and isinstance(policy.action_dist, DiagGaussianDistribution):
        mean = policy.action_net(latent)
        log_std = policy.log_std.expand(mean.shape[0], -1)
        leaves.append(log_std)
        dist = policy.action_dist.proba_distribution(mean, log_std)
    else:
        dist = policy._get_action_dist_from_latent(latent)
    return dist.log_prob(actions), leaves


# ---------------------------------------------------------------------------------------------- the direction
@dataclass
class NaturalDirection:
    """The preconditioned ascent direction of one batch.

    :param direction: flat d (ascent direction of ``mean(A log pi)``)
    :param grad: flat g-hat = grad of ``mean(A log pi)``
    :param quadratic: ``g^T F^-1 g`` (= ``g^T d``): the KL-normalised step is ``sqrt(2 delta / quadratic)``
    :param score_sq_norm: mean ``||u||^2`` of the score(s) used in F
    """

    direction: th.Tensor
    grad: th.Tensor
    quadratic: th.Tensor
    score_sq_norm: th.Tensor


def rank1_natural_direction(
    mode: str,
    log_prob: th.Tensor,
    advantages: th.Tensor,
    params: Sequence[nn.Parameter],
    damping: float,
    ghost: GhostNorms | None = None,
    leaves: Sequence[th.Tensor] = (),
) -> NaturalDirection:
    """The natural direction of ``mean_i(A_i log pi_i)`` under a damped rank-1 empirical Fisher (the three
    readings of the references, ``rank1_npg_and_s2pg.md`` part A.1: variants P, M and G).

    - ``"per_sample"`` (variant P): ``d = mean_i A_i g_i / (damping + ||g_i||^2)``, each sample preconditioned
      by its own ``damping I + g_i g_i^T`` (Sherman-Morrison with u = v = g_i). Needs ``ghost`` (recorded
      during the forward pass that produced ``log_prob``): one backward to the layer outputs for
      ``||g_i||^2``, one weighted backward.
    - ``"minibatch"`` (variant M): ``d = (damping I + u u^T)^-1 g-hat`` with u = g_j, the score of one
      sample j drawn uniformly (torch's global RNG). Note the overall factor 1/damping (it cancels in a
      KL-normalised step, not in a fixed one).
    - ``"self_gradient"`` (variant G): u = g-hat, so ``d = g-hat / (damping + ||g-hat||^2)``.

    :param mode: ``"per_sample"``, ``"minibatch"`` or ``"self_gradient"``
    :param log_prob: (N,) log-probabilities with their graph
    :param advantages: (N,) advantages (no graph)
    :param params: the actor's parameters
    :param damping: lambda > 0
    :param ghost: the recorder of the forward pass (``"per_sample"`` only)
    :param leaves: the per-sample leaves of that pass (``"per_sample"`` only)
    """
    advantages = advantages.detach()
    grad = flat_grad((advantages * log_prob).mean(), params)
    if mode == "per_sample":
        if ghost is None:
            raise ValueError("fisher='per_sample' needs the GhostNorms recorder of the forward pass")
        sq_norms = ghost.sq_norms(log_prob, leaves).detach()
        weights = advantages / (damping + sq_norms)  # Sherman-Morrison with u = v = g_i, batched
        direction = flat_grad((weights * log_prob).mean(), params)
        return NaturalDirection(direction, grad, grad @ direction, sq_norms.mean())
    if mode == "minibatch":
        j = int(th.randint(len(log_prob), (1,)).item())
        u = flat_grad(log_prob[j], params)
        direction = sherman_morrison_solve(grad, u, damping)
        return NaturalDirection(direction, grad, sherman_morrison_quadratic(grad, u, damping), u @ u)
    if mode == "self_gradient":
        sq = grad @ grad
        return NaturalDirection(grad / (damping + sq), grad, sq / (damping + sq), sq)
    raise ValueError(f"fisher must be one of {', '.join(repr(m) for m in FISHER_MODES)}; got {mode!r}")
