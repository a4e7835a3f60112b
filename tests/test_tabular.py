"""Exact tabular lab: MDP quantities, gradients, and the methods of the SPMA / APG / SPG-NM papers."""

import numpy as np
import pytest

from sb3_pgx.tabular import (
    APG,
    NPG,
    SPG,
    SPGNM,
    SPMA,
    PGAdam,
    PGHeavyBall,
    TabularMDP,
    bandit,
    cliff_world,
    evaluate,
    five_state_mdp,
    frozen_lake,
    objective,
    policy_gradient,
    policy_iteration,
    run,
    softmax,
)


def random_mdp(rng, n_states=4, n_actions=3, gamma=0.8):
    P = rng.random((n_states, n_actions, n_states))
    P /= P.sum(-1, keepdims=True)
    rho = rng.random(n_states)
    return TabularMDP(P, rng.random((n_states, n_actions)), gamma, rho / rho.sum())


def value_iteration(mdp, n=3000):
    V = np.zeros(mdp.n_states)
    for _ in range(n):
        V = (mdp.r + mdp.gamma * mdp.P @ V).max(-1)
    return V


@pytest.mark.parametrize(
    "make",
    [
        lambda: five_state_mdp("hard")[0],
        cliff_world,
        frozen_lake,
        lambda: random_mdp(np.random.default_rng(1)),
    ],
)
def test_exact_gradient_matches_finite_differences(make):
    mdp = make()
    rng = np.random.default_rng(0)
    theta = rng.normal(size=(mdp.n_states, mdp.n_actions))
    n = theta.size
    h = 1e-6
    eye = np.eye(n).reshape(n, *theta.shape)
    fd = (objective(mdp, theta + h * eye) - objective(mdp, theta - h * eye)) / (2 * h)
    grad = policy_gradient(mdp, theta)[0].ravel()
    scale = np.abs(grad).max()
    assert np.allclose(grad, fd, atol=1e-6 * max(1.0, scale), rtol=1e-5)


def test_bellman_consistency_and_visitation():
    mdp = random_mdp(np.random.default_rng(2))
    ev = evaluate(mdp, np.random.default_rng(3).normal(size=(2, mdp.n_states, mdp.n_actions)))
    assert np.allclose((ev.pi * ev.Q).sum(-1), ev.V)  # V = E_pi Q
    assert np.allclose((ev.pi * ev.adv).sum(-1), 0.0)
    assert np.allclose(ev.d.sum(-1), 1.0) and np.all(ev.d >= 0)
    assert np.allclose(ev.J, ev.V @ mdp.rho)


@pytest.mark.parametrize(
    "make",
    [lambda: five_state_mdp()[0], cliff_world, frozen_lake, lambda: random_mdp(np.random.default_rng(4))],
)
def test_policy_iteration_matches_value_iteration(make):
    mdp = make()
    sol = policy_iteration(mdp)
    assert np.allclose(sol.V, value_iteration(mdp), atol=1e-9)
    assert np.isclose(objective(mdp, np.log(np.maximum(sol.pi, 1e-300)))[0], sol.J, atol=1e-9)


def test_reference_values():
    mdp, theta0 = five_state_mdp("uniform")
    assert pytest.approx(9.40840, abs=1e-5) == policy_iteration(mdp).J
    assert objective(mdp, theta0)[0] == pytest.approx(6.0164, abs=1e-4)
    assert objective(*five_state_mdp("hard"))[0] == pytest.approx(3.7702, abs=1e-4)
    assert objective(*bandit("hard"))[0] == pytest.approx(0.13201, abs=1e-5)


def test_gymnasium_tables_match_the_simulator():
    import gymnasium as gym

    mdp = cliff_world()
    env = gym.make("CliffWalking-v1").unwrapped
    env.reset(seed=0)
    for s in (0, 13, 24, 35, 36):
        for a in range(4):
            env.s = s
            s2, rew, terminated, *_ = env.step(a)
            assert mdp.r[s, a] == rew
            assert mdp.P[s, a, s2] == 1.0
    # the goal is absorbing with zero reward, FrozenLake's holes too
    assert mdp.P[47, :, 47].tolist() == [1.0] * 4 and not mdp.r[47].any()
    fl = frozen_lake()
    assert np.all(fl.P[5, :, 5] == 1.0)
    assert fl.r[14, 2] == pytest.approx(1 / 3)


def test_sampled_oracle_is_unbiased():
    mdp, _ = five_state_mdp()
    theta = np.random.default_rng(5).normal(size=(mdp.n_states, mdp.n_actions))
    exact = policy_gradient(mdp, theta)[0]
    method = SPG(0.1, gradient="sampled")
    method.reset(mdp, theta, batch_size=200_000, seed=0)
    g, ev = method.gradient_at(method.theta)
    assert np.abs(g.mean(0) - exact).max() < 0.05 * np.abs(exact).max()
    a_hat, mask = method.advantage_estimate(ev)
    assert (
        np.abs((a_hat * mask[..., None]).mean(0) / ev.d[0][:, None] - ev.adv[0]).max()
        < 0.05 * np.abs(ev.adv).max()
    )


def official_apg(theta0, r, eta, n_iterations):
    """Line-by-line transcription of the official APG code's update (train/APG.py) for a bandit, in plain
    Python."""
    theta = np.array(theta0, dtype=float)
    theta_prev = theta.copy()
    omega = theta.copy()
    out = []
    for timestep in range(n_iterations):
        pi_theta = np.exp(theta - theta.max()) / np.exp(theta - theta.max()).sum()
        v_rho_t = pi_theta @ r
        pi_omega = np.exp(omega - omega.max()) / np.exp(omega - omega.max()).sum()
        grad = pi_omega * (r - pi_omega @ r)
        theta_new = omega + 0.5 * (timestep + 1) / (timestep + 2) * eta * grad
        mom = theta_new - theta_prev
        mom[~np.isfinite(mom)] = 0
        phi = theta_new + timestep / (timestep + 3) * mom
        pi_phi = np.exp(phi - phi.max()) / np.exp(phi - phi.max()).sum()
        omega = phi if pi_phi @ r + 1e-12 >= v_rho_t else theta_new
        theta_prev = theta_new
        theta = theta_new
        out.append(theta.copy())
    return np.array(out)


@pytest.mark.parametrize("init", ["uniform", "hard"])
def test_apg_matches_official_algorithm_on_bandit(init):
    mdp, theta0 = bandit(init)
    expected = official_apg(theta0[0], mdp.r[0], 0.4, 200)
    method = APG(0.4)
    method.reset(mdp, theta0)
    for t in range(200):
        method.step()
        np.testing.assert_allclose(method.theta[0, 0], expected[t], rtol=1e-12, atol=1e-12)


def test_apg_reference_trajectory():
    result = run(APG(0.4), *bandit("uniform"), 1000, checkpoints=[10, 100, 1000])
    np.testing.assert_allclose(result.gaps[:, 0], [1.76e-1, 3.01e-3, 1.21e-5], rtol=0.01)


@pytest.mark.parametrize("eta", [0.25, 1.0])
def test_spma_bandit_linear_rate_obeys_theorem_1(eta):
    """Theorem 1 (from its proof in Appendix A): with uniform init,
    1 - pi_t(a*) <= (1 - 1/K)(1 - eta Delta_min / K)^t, so the gap is
    <= Delta_max (1 - 1/K)(1 - eta Delta_min / K)^t. The measured per-step rate must obey it."""
    r = np.array([1.0, 0.6, 0.3, 0.0])
    k = len(r)
    mdp = TabularMDP(np.ones((1, k, 1)), r[None], 0.0, np.ones(1))
    t_max = 400
    result = run(SPMA(eta), mdp, np.zeros((1, k)), t_max, checkpoints=np.arange(t_max + 1))
    gaps = result.gaps[:, 0]
    d_min, d_max = 0.4, 1.0
    bound = d_max * (1 - 1 / k) * (1 - eta * d_min / k) ** np.arange(t_max + 1)
    assert np.all(gaps <= bound + 1e-15)
    assert np.all(np.diff(gaps) <= 1e-15)  # monotone (up to rounding)
    # linear: log-gap decreases at a constant per-step rate, at least as fast as the theorem's
    late = gaps[gaps > 1e-13]
    rate = (late[-1] / late[len(late) // 2]) ** (1 / (len(late) - 1 - len(late) // 2))
    assert rate <= 1 - eta * d_min / k
    assert late[-1] < 1e-10  # a sublinear O(1/t) method is nowhere near this in 400 steps
    assert result.n_nonfinite[0] == 0


def test_spma_and_npg_beat_spg_on_cliff():
    mdp = cliff_world()
    theta0 = np.zeros((mdp.n_states, mdp.n_actions))
    j_star = policy_iteration(mdp).J
    gaps = {
        m.name: run(m, mdp, theta0, 300, checkpoints=[300], optimal_value=j_star).gaps[-1, 0]
        for m in (SPMA(0.01), NPG(0.1), SPG(1.0))
    }
    assert gaps["SPMA"] < gaps["SPG"] and gaps["NPG"] < gaps["SPG"]


def test_batched_hyperparameters_equal_separate_runs():
    mdp, theta0 = five_state_mdp("hard")
    etas = np.array([1e-3, 1e-2, 1e-1])
    batched = run(SPG(etas), mdp, theta0, 50, checkpoints=[50])
    for i, eta in enumerate(etas):
        single = run(SPG(eta), mdp, theta0, 50, checkpoints=[50])
        assert batched.gaps[-1, i] == pytest.approx(single.gaps[-1, 0], rel=1e-12)
    nm = run(SPGNM(0.4, lam=[1e3, 1e4]), *bandit("hard"), 30, checkpoints=[30])
    assert nm.gaps.shape == (1, 2)


def test_spg_nm_accepts_and_converges_from_uniform():
    for mdp, theta0 in (bandit("uniform"), five_state_mdp("uniform")):
        result = run(SPGNM(0.4, lam=1e3), mdp, theta0, 50)
        assert result.gaps[-1, 0] < 1e-8
        assert result.accept_rate[0] > 0
        assert result.n_nonfinite[0] == 0


@pytest.mark.parametrize("method", [PGHeavyBall(1.0), PGAdam(1.0), APG(1.0), SPGNM(1.0), SPG(1.0)])
def test_non_finite_step_is_rejected_and_counted(method):
    mdp, _ = bandit("uniform")
    theta0 = np.stack([np.zeros((1, 3)), np.full((1, 3), 1.79e308)])  # near the float limit
    method.eta = np.array([1.0, 1e308])  # the second run's first step overflows
    method.reset(mdp, theta0)
    method.step()
    assert method.n_nonfinite.tolist() == [0, 1]
    assert np.all(np.isfinite(method.theta))
    np.testing.assert_array_equal(method.theta[1], theta0[1])  # untouched
    assert not np.array_equal(method.theta[0], theta0[0])  # the healthy run moved


def test_sampled_mode_runs_and_improves():
    mdp, theta0 = bandit("uniform")
    for cls in (SPG, NPG, SPMA, APG, PGHeavyBall, SPGNM):
        result = run(cls(0.1, gradient="sampled"), mdp, theta0, 300, batch_size=8, seed=1)
        assert np.all(np.isfinite(result.gaps))
        assert result.gaps[-1].mean() < result.gaps[0].mean()


def test_softmax_allows_minus_infinity():
    pi = softmax(np.array([[[0.0, -np.inf, 1.0]]]))
    assert pi[0, 0, 1] == 0 and np.isclose(pi.sum(), 1)


def test_bad_inputs():
    P = np.ones((2, 2, 2)) / 2
    r = np.zeros((2, 2))
    rho = np.array([0.5, 0.5])
    with pytest.raises(ValueError, match="sum to 1"):
        TabularMDP(P * 1.1, r, 0.9, rho)
    with pytest.raises(ValueError, match="r must have shape"):
        TabularMDP(P, np.zeros((2, 3)), 0.9, rho)
    with pytest.raises(ValueError, match="rho must have shape"):
        TabularMDP(P, r, 0.9, np.ones(3) / 3)
    with pytest.raises(ValueError, match="rho must be a probability"):
        TabularMDP(P, r, 0.9, np.array([0.7, 0.7]))
    for gamma in (1.0, -0.1, 1.5):
        with pytest.raises(ValueError, match="gamma"):
            TabularMDP(P, r, gamma, rho)
    for eta in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="eta"):
            SPG(eta)
    with pytest.raises(ValueError, match="lam"):
        SPGNM(0.1, lam=-3)
    with pytest.raises(ValueError, match="gradient"):
        NPG(0.1, gradient="noisy")
    with pytest.raises(ValueError, match="rule"):
        SPGNM(0.1, rule="C")
    with pytest.raises(ValueError, match="init"):
        bandit("easy")
    with pytest.raises(ValueError, match="theta"):
        objective(TabularMDP(P, r, 0.9, rho), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="batch sizes"):
        SPG(np.array([0.1, 0.2])).reset(TabularMDP(P, r, 0.9, rho), np.zeros((3, 2, 2)))
