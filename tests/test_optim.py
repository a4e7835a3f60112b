"""PG-SOM and SPG-NM torch optimizers."""

import pytest
import torch as th

from sb3_pgx.optim import PGSOM, NegativeMomentum, hutchinson_diagonal


def quadratic(h: th.Tensor, x: th.Tensor, b: th.Tensor) -> th.Tensor:
    return 0.5 * x @ h @ x - b @ x


def test_hutchinson_is_unbiased_on_a_quadratic():
    gen = th.Generator().manual_seed(0)
    a = th.randn(6, 6, generator=gen, dtype=th.float64)
    h = a @ a.T - 2 * th.eye(6, dtype=th.float64)  # indefinite, with off-diagonal mass
    x = th.randn(6, dtype=th.float64, generator=gen, requires_grad=True)
    b = th.randn(6, dtype=th.float64, generator=gen)
    (g,) = th.autograd.grad(quadratic(h, x, b), [x], create_graph=True)
    n = 20000
    (est,) = hutchinson_diagonal([g], [x], n_probes=n, generator=gen)
    # E[z * Hz] = diag H; the per-probe variance is sum_{j != i} H_ij^2
    std = ((h**2).sum(1) - h.diag() ** 2).sqrt() / n**0.5
    assert th.all((est - h.diag()).abs() < 5 * std + 1e-12)
    # a single probe is exact for a diagonal Hessian
    d = th.diag(th.tensor([1.0, -2.0, 3.0], dtype=th.float64))
    y = th.ones(3, dtype=th.float64, requires_grad=True)
    (gy,) = th.autograd.grad(0.5 * y @ d @ y, [y], create_graph=True)
    (one,) = hutchinson_diagonal([gy], [y], n_probes=1)
    assert th.allclose(one, d.diag())


def test_pgsom_minimises_an_ill_conditioned_quadratic_and_logs():
    h = th.diag(th.tensor([100.0, 1.0, 0.01]))
    x = th.nn.Parameter(th.tensor([1.0, 1.0, 1.0]))
    opt = PGSOM([x], lr=0.05, seed=0)
    start = quadratic(h, x.detach(), th.zeros(3)).item()
    for _ in range(300):
        opt.step(lambda: quadratic(h, x, th.zeros(3)))
    assert quadratic(h, x.detach(), th.zeros(3)).item() < 1e-3 * start
    assert set(opt.last_stats) >= {"hessian_diag_mean", "hessian_diag_abs_mean", "update_norm", "grad_norm"}
    # the preconditioner is diag|H|: the step on each coordinate has the same size early on (scale-free)
    y = th.nn.Parameter(th.tensor([1.0, 1.0, 1.0]))
    opt2 = PGSOM([y], lr=0.01, seed=0)
    opt2.step(lambda: quadratic(h, y, th.zeros(3)))
    step = (1.0 - y.detach()).abs()
    assert th.allclose(step, th.full((3,), 0.01), rtol=1e-3)


def test_pgsom_backward_create_graph_path_matches_closure():
    h = th.diag(th.tensor([2.0, 3.0]))
    xa = th.nn.Parameter(th.tensor([1.0, -1.0]))
    xb = th.nn.Parameter(th.tensor([1.0, -1.0]))
    opt_a, opt_b = PGSOM([xa], lr=0.1, seed=3), PGSOM([xb], lr=0.1, seed=3)
    opt_a.step(lambda: quadratic(h, xa, th.zeros(2)))
    quadratic(h, xb, th.zeros(2)).backward(create_graph=True)
    opt_b.step()
    assert th.allclose(xa, xb)
    xb.grad = None
    quadratic(h, xb, th.zeros(2)).backward()
    with pytest.raises(RuntimeError, match="create_graph"):
        opt_b.step()


def test_pgsom_clipping_and_nonfinite_guard():
    x = th.nn.Parameter(th.tensor([1.0, 2.0]))
    opt = PGSOM([x], lr=0.1, max_grad_norm=1.0, seed=0)
    opt.step(lambda: 1000.0 * (x**2).sum())
    assert float(opt.last_stats["clip_scale"]) < 1e-2
    before = x.detach().clone()
    state_before = {k: v.clone() for k, v in opt.state[x].items() if isinstance(v, th.Tensor)}
    opt.step(lambda: (x**2).sum() * float("nan"))
    assert opt.n_nonfinite == 1
    assert th.equal(x.detach(), before)
    assert all(th.equal(opt.state[x][k], v) for k, v in state_before.items())
    opt.step(lambda: (x * th.tensor([float("inf"), 1.0])).sum() - (x * th.tensor([float("inf"), 0.0])).sum())
    assert opt.n_nonfinite == 2 and th.equal(x.detach(), before)


def test_negative_momentum_accepts_only_improving_extrapolations():
    h = th.diag(th.tensor([1.0, 10.0]))
    x = th.nn.Parameter(th.tensor([3.0, 1.0]))
    opt = NegativeMomentum([x], lr=0.05, lam=2.0)
    losses = []
    for _ in range(50):
        opt.step(lambda: quadratic(h, x, th.zeros(2)))
        losses.append(quadratic(h, x.detach(), th.zeros(2)).item())
    assert losses[-1] < 1e-3 * losses[0]
    assert 0 < opt.acceptance_rate <= 1
    # lam = 1 is plain gradient descent (the extrapolation is theta_t itself)
    y = th.nn.Parameter(th.tensor([3.0, 1.0]))
    z = th.tensor([3.0, 1.0])
    plain = NegativeMomentum([y], lr=0.05, lam=1.0)
    for _ in range(5):
        plain.step(lambda: quadratic(h, y, th.zeros(2)))
        z = z - 0.05 * (h @ z)
    assert th.allclose(y.detach(), z, atol=1e-6)
    # a huge lambda extrapolates far beyond the minimum: the check rejects it
    w = th.nn.Parameter(th.tensor([3.0, 1.0]))
    wild = NegativeMomentum([w], lr=0.05, lam=1e6)
    for _ in range(5):
        wild.step(lambda: quadratic(h, w, th.zeros(2)))
    assert wild.n_accepted < wild.n_steps


def test_negative_momentum_needs_a_closure_and_guards_nonfinite():
    x = th.nn.Parameter(th.tensor([1.0]))
    opt = NegativeMomentum([x], lr=0.1)
    with pytest.raises(RuntimeError, match="closure"):
        opt.step()
    opt.step(lambda: x.sum() * float("inf"))
    assert opt.n_nonfinite == 1 and x.item() == 1.0


@pytest.mark.parametrize(
    "make",
    [
        lambda p: PGSOM(p, lr=0.0),
        lambda p: PGSOM(p, betas=(0.9, 1.0)),
        lambda p: PGSOM(p, n_probes=0),
        lambda p: PGSOM(p, max_grad_norm=-1.0),
        lambda p: NegativeMomentum(p, lam=0.0),
        lambda p: NegativeMomentum(p, rule="C"),
        lambda p: NegativeMomentum(p, lr=-1.0),
    ],
)
def test_bad_arguments(make):
    with pytest.raises(ValueError):
        make([th.nn.Parameter(th.zeros(2))])


def test_pgsom_clipping_shrinks_the_step_unless_the_hessian_is_clipped_too():
    h = th.diag(th.tensor([4.0, 1.0]))
    steps = {}
    for name, kwargs in (
        ("plain", {}),
        ("clip", {"max_grad_norm": 0.1}),
        ("both", {"max_grad_norm": 0.1, "clip_hessian": True}),
    ):
        x = th.nn.Parameter(th.tensor([3.0, -2.0]))
        PGSOM([x], lr=0.01, seed=0, **kwargs).step(lambda x=x: quadratic(h, x, th.zeros(2)))
        steps[name] = (x.detach() - th.tensor([3.0, -2.0])).norm()
    assert steps["clip"] < 0.5 * steps["plain"]
    assert th.isclose(steps["both"], steps["plain"], rtol=1e-4)


# ---------------------------------------------------------------- PG-SOM's return-Hessian diagonal (Lemma 3.1)
R_TABLE = th.tensor([[1.0, -2.0], [3.0, 0.5]], dtype=th.float64)  # R(a0, a1)


def two_step_log_p(theta: th.Tensor, a0: int, a1: int) -> th.Tensor:
    """A linear-softmax (tabular) policy on a two-step MDP: s0 = 0, s1 = a0; log p(tau) = sum_t log pi."""
    log_pi = th.log_softmax(theta.view(2, 2), dim=1)
    return log_pi[0, a0] + log_pi[a0, a1]


def expected_return(theta: th.Tensor) -> th.Tensor:
    return sum(two_step_log_p(theta, a0, a1).exp() * R_TABLE[a0, a1] for a0 in (0, 1) for a1 in (0, 1))


TRAJECTORIES = [(a0, a1) for a0 in (0, 1) for a1 in (0, 1)]


def test_return_hessian_diagonal_matches_the_exact_hessian_of_the_expected_return():
    from sb3_pgx.optim.pgsom import return_hessian_diagonal, score_square_diagonal

    theta0 = th.tensor([0.3, -0.5, 0.8, 0.1], dtype=th.float64)
    exact = -th.autograd.functional.hessian(expected_return, theta0).diag()  # the loss is -J
    expected = th.zeros(4, dtype=th.float64)
    surrogate_only = th.zeros(4, dtype=th.float64)
    gen = th.Generator().manual_seed(0)
    n = 4000
    sampled = th.zeros(4, dtype=th.float64)
    variance = th.zeros(4, dtype=th.float64)
    for a0, a1 in TRAJECTORIES:
        theta = theta0.clone().requires_grad_(True)
        log_p = two_step_log_p(theta, a0, a1)
        prob, r = log_p.exp().item(), R_TABLE[a0, a1]
        weights = -r.reshape(1)
        (score,) = score_square_diagonal(log_p.reshape(1), weights, [theta])
        hess = th.autograd.functional.hessian(
            lambda t, a0=a0, a1=a1: -R_TABLE[a0, a1] * two_step_log_p(t, a0, a1), theta0
        )
        expected += prob * (score + hess.diag())
        surrogate_only += prob * hess.diag()
        variance += prob**2 * ((hess**2).sum(1) - hess.diag() ** 2) / n  # one probe: sum_{j != i} H_ij^2
        (g,) = th.autograd.grad(-r * log_p, [theta], create_graph=True)
        (d,) = return_hessian_diagonal([g], [theta], log_p.reshape(1), weights, n_probes=n, generator=gen)
        sampled += prob * d
    # exact: E_tau[-R (s (.) s + diag d2 log p)] is the diagonal of the Hessian of -J
    assert th.allclose(expected, exact, atol=1e-12)
    # the surrogate's Hessian alone (the previous estimator) misses the score term
    assert (surrogate_only - exact).abs().max() > 0.1
    # the estimator PGSOM uses (exact score term, Hutchinson on the d2 log p term) is unbiased
    assert th.all((sampled - exact).abs() < 5 * variance.sqrt() + 1e-12)
    assert th.all(variance.sqrt() < 0.05)  # the check has power against the 0.1 bias above


def test_pgsom_return_curvature_needs_trajectory_terms_and_uses_them():
    x = th.nn.Parameter(th.tensor([0.3, -0.5, 0.8, 0.1], dtype=th.float64))
    opt = PGSOM([x], lr=0.01, curvature="return", seed=0)
    with pytest.raises(ValueError, match="curvature"):
        opt.step(lambda: -two_step_log_p(x, 0, 1))
    with pytest.raises(ValueError, match="curvature"):
        PGSOM([x], curvature="fisher")
    # one trajectory with R = 1: D = -(s (.) s) + Hutchinson(-d2 log p); one step of size lr in each coordinate
    opt.step(
        lambda: -two_step_log_p(x, 0, 1),
        trajectory_terms=lambda: (two_step_log_p(x, 0, 1).reshape(1), -th.ones(1)),
    )
    assert opt.state[x]["step"] == 1 and th.isfinite(opt.last_stats["hessian_diag_mean"])


def test_pgsom_probe_generator_is_created_on_the_parameters_device(monkeypatch):
    assert PGSOM([th.nn.Parameter(th.zeros(2))], seed=0).generator.device == th.device("cpu")
    created = []

    class RecordingGenerator:
        def __init__(self, device=None):
            created.append(th.device(device) if device is not None else None)

        def manual_seed(self, seed):
            return self

    monkeypatch.setattr(th, "Generator", RecordingGenerator)
    PGSOM([th.nn.Parameter(th.zeros(2, device="meta"))], seed=0)
    assert created == [th.device("meta")]


def test_negative_momentum_state_dict_keeps_the_counters():
    x = th.nn.Parameter(th.tensor([3.0, 1.0]))
    opt = NegativeMomentum([x], lr=0.05, schedule="apg", max_grad_norm=0.5)
    for _ in range(4):
        opt.step(lambda: (x**2).sum())
    assert float(opt.last_stats["grad_norm"]) > 0.5 and float(opt.last_stats["update_norm"]) <= 2 * 0.05 * 0.5
    y = th.nn.Parameter(x.detach().clone())
    other = NegativeMomentum([y], lr=0.05, schedule="apg", max_grad_norm=0.5)
    other.load_state_dict(opt.state_dict())
    assert (other.n_steps, other.n_accepted) == (opt.n_steps, opt.n_accepted) == (4, opt.n_accepted)
    opt.step(lambda: (x**2).sum())
    other.step(lambda: (y**2).sum())
    assert th.equal(x, y)  # same ramp position, same momentum


def test_score_square_diagonal_batches_trajectories():
    from sb3_pgx.optim.pgsom import score_square_diagonal

    theta = th.tensor([0.3, -0.5, 0.8, 0.1], dtype=th.float64, requires_grad=True)
    log_ps = th.stack([two_step_log_p(theta, a0, a1) for a0, a1 in TRAJECTORIES])
    weights = th.tensor([1.0, -2.0, 3.0, 0.5], dtype=th.float64)
    (batched,) = score_square_diagonal(log_ps, weights, [theta])
    one_by_one = sum(
        w * th.autograd.grad(lp, [theta], retain_graph=True)[0] ** 2
        for lp, w in zip(log_ps, weights, strict=True)
    )
    assert th.allclose(batched, one_by_one, atol=1e-12)
