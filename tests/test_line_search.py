"""Armijo line search: sufficient decrease, warm start, and nothing lost on failure."""

import pytest
import torch as th

from sb3_pgx.common.line_search import ArmijoLineSearch


def quadratic_problem():
    th.manual_seed(0)
    a = th.randn(8, 8)
    hessian = a @ a.T + th.eye(8)
    x = th.nn.Parameter(th.randn(8))
    return x, lambda: 0.5 * x @ hessian @ x


def test_accepted_step_satisfies_sufficient_decrease():
    x, f = quadratic_problem()
    search = ArmijoLineSearch([x], c=0.5, beta=0.9, alpha_max=1e6)
    before = f().item()
    grad = th.autograd.grad(f(), [x])[0]
    result = search.step(f)
    assert result.accepted
    assert result.loss_after <= before - 0.5 * result.step_size * grad.pow(2).sum().item() + 1e-9
    assert f().item() == pytest.approx(result.loss_after, rel=1e-6)
    assert search.alpha == pytest.approx(min(1.8 * result.step_size, 1e6))


def test_warm_start_needs_few_backtracks():
    x, f = quadratic_problem()
    search = ArmijoLineSearch([x])
    first = search.step(f)
    later = [search.step(f).n_backtracks for _ in range(20)]
    assert first.n_backtracks > 50  # from alpha_max = 1e6
    assert sum(later) / len(later) <= 8  # log(1.8) / log(1 / 0.9) ~ 5.6 per step on average


def test_failure_leaves_weights_exactly_as_they_were():
    x, _ = quadratic_problem()
    start = x.detach().clone()
    # A loss whose every trial point is worse (non-smooth spike): no step is acceptable.
    spike = lambda: (x - start).abs().sum() * 1e3 - x.sum()  # noqa: E731
    result = ArmijoLineSearch([x], max_backtracks=30).step(spike)
    assert not result.accepted and result.reason == "no_decrease"
    assert th.equal(x.detach(), start)


def test_non_finite_loss_or_gradient_never_reaches_the_parameters():
    x, _ = quadratic_problem()
    start = x.detach().clone()
    nan_loss = ArmijoLineSearch([x]).step(lambda: x.sum() * float("nan"))
    inf_grad = ArmijoLineSearch([x]).step(lambda: (x * th.tensor(float("inf"))).sum().clamp(max=0.0))
    assert nan_loss.reason == "nonfinite" and not nan_loss.accepted
    assert not inf_grad.accepted
    assert th.equal(x.detach(), start)


def test_trial_points_that_raise_are_rejected():
    x = th.nn.Parameter(th.tensor([0.5]))

    def loss():  # a distribution that rejects a negative scale, like a huge step on log_std can produce
        return -th.distributions.Normal(0.0, x.clamp(max=10) - 0.0).log_prob(th.tensor(0.3)).sum()

    result = ArmijoLineSearch([x], alpha_max=1e3).step(loss)
    assert result.accepted and x.item() > 0


@pytest.mark.parametrize("name,kwargs", [("armijo_c", dict(c=1.5)), ("armijo_beta", dict(beta=0.0)),
                                         ("armijo_growth", dict(growth=0.5)), ("armijo_max_backtracks", dict(max_backtracks=0))])  # fmt: skip
def test_bad_line_search_settings(name, kwargs):
    with pytest.raises(ValueError, match=name):
        ArmijoLineSearch([th.nn.Parameter(th.zeros(1))], **kwargs)


def test_guarded_step_differentiates_only_its_parameters():
    """An actor loss through a critic leaves the critic's gradients untouched (no wasted backward work)."""
    from sb3_pgx.common.steps import guarded_optimizer_step

    th.manual_seed(0)
    actor, critic = th.nn.Linear(3, 2), th.nn.Linear(2, 1)
    optimizer = th.optim.SGD(actor.parameters(), lr=0.1)
    obs = th.randn(16, 3)
    before = [p.detach().clone() for p in actor.parameters()]
    result = guarded_optimizer_step(optimizer, list(actor.parameters()), lambda: -critic(actor(obs)).mean())
    assert result.accepted and result.grad_norm > 0
    assert all(p.grad is None for p in critic.parameters())
    assert any(not th.equal(p, b) for p, b in zip(actor.parameters(), before, strict=True))


def test_guarded_step_skips_a_nonfinite_loss():
    from sb3_pgx.common.steps import guarded_optimizer_step

    layer = th.nn.Linear(2, 1)
    before = [p.detach().clone() for p in layer.parameters()]
    optimizer = th.optim.SGD(layer.parameters(), lr=0.1)
    result = guarded_optimizer_step(
        optimizer, list(layer.parameters()), lambda: layer(th.ones(1, 2)).sum() / 0.0 * 0.0
    )
    assert not result.accepted and result.reason == "nonfinite"
    assert all(th.equal(p, b) for p, b in zip(layer.parameters(), before, strict=True))


def test_guarded_step_with_no_trainable_parameters_is_a_no_op():
    from sb3_pgx.common.steps import guarded_optimizer_step

    frozen = th.nn.Linear(2, 1).requires_grad_(False)
    weight = th.nn.Parameter(th.ones(1))
    optimizer = th.optim.SGD([weight], lr=0.1)
    result = guarded_optimizer_step(
        optimizer, list(frozen.parameters()), lambda: (frozen(th.ones(1, 2)) * weight).sum()
    )
    assert result.accepted and result.grad_norm == 0.0
