"""REINFORCE (Williams 1992) over whole episodes, with PG-SOM's second-order momentum and Runge-Kutta updates
(Sun, arXiv 2505.11561)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import torch as th
from gymnasium import spaces
from scipy.signal import lfilter
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.on_policy_algorithm import OnPolicyAlgorithm
from stable_baselines3.common.policies import ActorCriticPolicy
from stable_baselines3.common.type_aliases import GymEnv, Schedule
from stable_baselines3.common.utils import obs_as_tensor, update_learning_rate
from stable_baselines3.common.vec_env import VecEnv
from torch.nn import functional as F

from sb3_pgx.common.actor_critic import no_distribution_validation
from sb3_pgx.common.split_algorithm import SplitPolicyMixin, encode_max_grad_norm
from sb3_pgx.common.steps import (
    StepLog,
    all_finite,
    clip_coefficient,
    guarded_optimizer_step,
    record_mean,
    total_norm,
)
from sb3_pgx.common.validation import (
    check_at_least,
    check_choice,
    check_in_closed_interval,
    check_positive,
)
from sb3_pgx.optim.pgsom import PGSOM

#: ``"adam"`` (kept for the zoo files) and ``"optimizer"`` both mean the policy's own optimizer class
UPDATES = ("adam", "optimizer", "hessian", "rk2")
#: the update values that step with the policy's optimizer (``policy_kwargs["optimizer_class"]``)
OPTIMIZER_UPDATES = ("adam", "optimizer")
DEFAULT_LONGEST_EPISODE = 1000  # the longest expected episode of an env without spec.max_episode_steps


def _reward_to_go(rewards: np.ndarray, gamma: float) -> np.ndarray:
    """Discounted reward-to-go ``G_t = r_t + gamma G_{t+1}``, as a linear filter on the reversed rewards."""
    return lfilter([1.0], [1.0, -gamma], rewards[::-1])[::-1].astype(np.float32)


def _total_return(rewards: np.ndarray, gamma: float) -> np.ndarray:
    """Every step weighted by the undiscounted episode return."""
    return np.full_like(rewards, rewards.sum())


#: ``return_type``: the per-step returns of one episode's rewards
RETURN_TYPES: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "reward_to_go": _reward_to_go,
    "total": _total_return,
}


def _no_baseline(model: REINFORCE, obs: Any, returns: th.Tensor) -> th.Tensor:
    return returns


def _mean_baseline(model: REINFORCE, obs: Any, returns: th.Tensor) -> th.Tensor:
    return returns - returns.mean()


def _standardize(model: REINFORCE, obs: Any, returns: th.Tensor) -> th.Tensor:
    std = returns.std() if len(returns) > 1 else th.zeros((), device=returns.device)
    return (returns - returns.mean()) / (std + 1e-8)


def _value_baseline(model: REINFORCE, obs: Any, returns: th.Tensor) -> th.Tensor:
    with th.no_grad():
        return returns - model.policy.predict_values(obs).flatten()


#: ``baseline``: the advantages of a batch from its returns
BASELINES: dict[str, Callable[[REINFORCE, Any, th.Tensor], th.Tensor]] = {
    "none": _no_baseline,
    "mean": _mean_baseline,
    "standardize": _standardize,
    "value": _value_baseline,
}

#: ``loss_reduction``: how the per-step terms are reduced, and that reduction's weight on one step for n steps
REDUCTIONS: dict[str, Callable[[th.Tensor], th.Tensor]] = {"mean": th.mean, "sum": th.sum}
REDUCTION_SCALES: dict[str, Callable[[int], float]] = {"mean": lambda n: 1.0 / n, "sum": lambda n: 1.0}


class RK2Method(NamedTuple):
    """A two-stage explicit Runge-Kutta rule: where the second stage is (``stage(lr)`` along k1) and how the
    stages combine (``combine(start, k1, k2, lr)``).

    :param stage: maps the step size to the distance along k1 at which k2 is evaluated (Heun: ``lr``,
        midpoint: ``lr / 2``)
    :param combine: maps ``(start, k1, k2, lr)`` of one parameter tensor to its new value
    """

    stage: Callable[[float], float]
    combine: Callable[[th.Tensor, th.Tensor, th.Tensor, float], th.Tensor]


#: ``rk_method``
RK_METHODS: dict[str, RK2Method] = {
    "heun": RK2Method(lambda lr: lr, lambda s, a, b, lr: s + lr / 2 * (a + b)),
    "midpoint": RK2Method(lambda lr: lr / 2, lambda s, a, b, lr: s + lr * b),
}


def _check_numbers(
    n_episodes: int,
    n_critic_steps: int,
    max_rollout_steps: int | None,
    max_grad_norm: float | None,
    learning_rate: float | Schedule,
    gamma: float,
    ent_coef: float,
) -> None:
    """Raise a ``ValueError`` naming the first numeric argument of REINFORCE out of range."""
    check_at_least("n_episodes", n_episodes, 1)
    check_at_least("n_critic_steps", n_critic_steps, 1)
    if max_rollout_steps is not None:
        check_at_least("max_rollout_steps", max_rollout_steps, 1)
    check_positive("max_grad_norm", max_grad_norm, allow_none=True)
    if not callable(learning_rate):
        check_positive("learning_rate", learning_rate)
    check_in_closed_interval("gamma", gamma, 0, 1)
    if not (np.isfinite(ent_coef) and ent_coef >= 0):
        raise ValueError(f"ent_coef must be a finite number >= 0, got {ent_coef!r}")


class REINFORCE(SplitPolicyMixin, OnPolicyAlgorithm):
    """Monte-Carlo policy gradient on whole episodes.

    Each iteration collects ``n_episodes`` complete episodes with the current policy, computes Monte-Carlo
    returns ``G_t`` (no bootstrapping, also at time-limit truncation), subtracts a baseline and takes one step
    on::

        L(theta) = -reduce_t[ log pi_theta(a_t|s_t) * Ahat_t ] - ent_coef * reduce_t[ H(pi_theta(.|s_t)) ]

    with one of three update rules (``update``):

    - ``"adam"`` (or its clearer alias ``"optimizer"``): the policy's own optimizer, whatever its class (Adam
      by default; any ``policy_kwargs["optimizer_class"]``, including :class:`sb3_pgx.optim.NegativeMomentum`,
      which gets a closure);
    - ``"hessian"``: PG-SOM's second-order momentum (:class:`sb3_pgx.optim.PGSOM`): an Adam-style first moment
      and a bias-corrected second moment of the paper's diagonal of the return's Hessian (Lemma 3.1: each
      episode's return-weighted squared score plus a Hutchinson estimate of the surrogate's Hessian; see
      :class:`sb3_pgx.optim.PGSOM`, ``curvature``);
    - ``"rk2"``: one Runge-Kutta step of the gradient flow ``d theta/d tau = -grad L`` (Heun by default;
      PG-SOM Eq. 3), both stages on the same episodes (our reconstruction: no extra samples, no importance
      weights)::

          k1 = -grad L(theta);  k2 = -grad L(theta + lr k1);  theta <- theta + lr/2 (k1 + k2)

    Clipping (``max_grad_norm``) applies to each gradient (each RK stage; with a closure-differentiating
    ``optimizer_class`` such as NegativeMomentum, inside the optimizer). With n_envs > 1, the ``n_episodes``
    are spread over the envs before the rollout (env ``i`` contributes its first ``quota[i]`` episodes, all
    started with the current policy), so the batch is an unbiased sample of whole on-policy episodes (keeping
    the first episodes to *finish* would favour short ones); an env's steps past its quota are discarded and the
    envs are reset before the next rollout. With one env nothing is discarded.

    Left open by the paper, with our choice: returns are discounted rewards-to-go (``return_type="total"``
    weights every step by the undiscounted episode return); the baseline options are those of PG-SOM's table
    (none, the batch mean, standardised returns as in PyTorch's REINFORCE example) plus a learned value
    function.

    :param policy: ``MlpPolicy``, ``CnnPolicy``, ``MultiInputPolicy`` (separate actor and critic) or a policy
        class
    :param env: the environment (Gym env, VecEnv or registered id)
    :param learning_rate: actor step size (a number or a schedule of progress_remaining)
    :param n_episodes: complete episodes per update
    :param gamma: discount of the rewards-to-go
    :param update: ``"adam"`` (= ``"optimizer"``: the policy's optimizer class), ``"hessian"`` or ``"rk2"``
    :param baseline: ``"none"``, ``"mean"``, ``"standardize"`` or ``"value"``
    :param return_type: ``"reward_to_go"`` or ``"total"``
    :param loss_reduction: ``"mean"`` or ``"sum"`` over the steps of the batch (PG-SOM / PyTorch's example:
        sum)
    :param ent_coef: entropy bonus coefficient
    :param max_grad_norm: gradient-norm clipping (None: off)
    :param rk_method: ``"heun"`` or ``"midpoint"`` (``update="rk2"`` only)
    :param hessian_kwargs: extra :class:`sb3_pgx.optim.PGSOM` arguments (``betas``, ``eps``,
        ``hessian_power``, ``n_probes``, ``clip_hessian``, ``seed``, and ``curvature``: ``"return"`` by default,
        ``"surrogate"`` for the Hutchinson estimate of the surrogate's Hessian alone)
    :param critic_learning_rate: the value baseline's step size (defaults to ``learning_rate``)
    :param n_critic_steps: full-batch critic steps per update (``baseline="value"``)
    :param max_rollout_steps: a rollout that reaches this many steps per env without its ``n_episodes``
        finished episodes raises a ``ValueError`` (guards against environments that never end). None: 10 x the
        longest expected episode (the env's ``spec.max_episode_steps``, or 1000 when no time limit is known)
        x ``ceil(n_episodes / n_envs)``
    :param use_sde: generalized State-Dependent Exploration
    :param sde_sample_freq: gSDE noise resampling frequency (-1: only at rollout start)
    :param stats_window_size: episodes averaged for the rollout/ logs
    :param tensorboard_log: TensorBoard log folder (None: off)
    :param policy_kwargs: keyword arguments for the policy
    :param verbose: 0, 1 (info) or 2 (debug)
    :param seed: random seed
    :param device: ``"auto"``, ``"cpu"`` or ``"cuda"``
    :param _init_setup_model: build the networks now
    """

    default_log_interval = 10

    def __init__(
        self,
        policy: str | type[ActorCriticPolicy],
        env: GymEnv | str,
        learning_rate: float | Schedule = 2e-3,
        n_episodes: int = 1,
        gamma: float = 0.99,
        update: str = "adam",
        baseline: str = "standardize",
        return_type: str = "reward_to_go",
        loss_reduction: str = "mean",
        ent_coef: float = 0.0,
        max_grad_norm: float | None = None,
        rk_method: str = "heun",
        hessian_kwargs: dict[str, Any] | None = None,
        critic_learning_rate: float | Schedule | None = None,
        n_critic_steps: int = 5,
        max_rollout_steps: int | None = None,
        use_sde: bool = False,
        sde_sample_freq: int = -1,
        stats_window_size: int = 100,
        tensorboard_log: str | None = None,
        policy_kwargs: dict[str, Any] | None = None,
        verbose: int = 0,
        seed: int | None = None,
        device: th.device | str = "auto",
        _init_setup_model: bool = True,
    ):
        for name, value, allowed in (
            ("update", update, UPDATES),
            ("baseline", baseline, BASELINES),
            ("return_type", return_type, RETURN_TYPES),
            ("loss_reduction", loss_reduction, REDUCTIONS),
            ("rk_method", rk_method, RK_METHODS),
        ):
            check_choice(name, value, allowed)
        _check_numbers(
            n_episodes, n_critic_steps, max_rollout_steps, max_grad_norm, learning_rate, gamma, ent_coef
        )
        super().__init__(
            policy,
            env,
            learning_rate=learning_rate,
            n_steps=1,  # unused: rollouts are whole episodes
            gamma=gamma,
            gae_lambda=1.0,
            ent_coef=ent_coef,
            vf_coef=0.0,
            max_grad_norm=encode_max_grad_norm(max_grad_norm),
            use_sde=use_sde,
            sde_sample_freq=sde_sample_freq,
            stats_window_size=stats_window_size,
            tensorboard_log=tensorboard_log,
            policy_kwargs=policy_kwargs,
            verbose=verbose,
            device=device,
            seed=seed,
            _init_setup_model=False,
            supported_action_spaces=None,
        )
        self._check_action_space()
        if update not in OPTIMIZER_UPDATES and "optimizer_class" in (policy_kwargs or {}):
            raise ValueError(
                f"policy_kwargs['optimizer_class'] is used only with update='adam'; update={update!r} takes its "
                "own step (allowed: update='adam' with an optimizer_class, or no optimizer_class)"
            )
        self.n_episodes = n_episodes
        self.update = update
        self.baseline = baseline
        self.return_type = return_type
        self.loss_reduction = loss_reduction
        self.rk_method = rk_method
        self.hessian_kwargs = dict(hessian_kwargs or {})
        self.critic_learning_rate = critic_learning_rate
        self.n_critic_steps = n_critic_steps
        self.max_rollout_steps = max_rollout_steps
        self.nonfinite_skips_total = 0
        self._episodes: list[dict[str, np.ndarray]] = []
        self._envs_mid_episode = False
        if _init_setup_model:
            self._setup_model()

    # ------------------------------------------------------------------ set-up
    def _setup_model(self) -> None:
        # models saved before max_grad_norm had one name kept a copy; SB3's max_grad_norm holds the same value
        self.__dict__.pop("max_grad_norm_opt", None)
        self._setup_lr_schedule()
        self.set_random_seed(self.seed)
        self.rollout_buffer = None  # type: ignore[assignment]  # episodes live in self._episodes
        self.policy = self.policy_class(  # type: ignore[assignment]
            self.observation_space,
            self.action_space,
            self.lr_schedule,
            use_sde=self.use_sde,
            **self.policy_kwargs,
        )
        self.policy = self.policy.to(self.device)
        if self.update == "hessian":
            self.policy.optimizer = PGSOM(
                self.policy.actor_parameters(),
                lr=self.lr_schedule(1.0),
                max_grad_norm=self.clip_norm,
                **{"curvature": "return", **self.hessian_kwargs},
            )
        self._hand_clipping_to_optimizer()
        self._setup_critic_lr_schedule(self.lr_schedule)
        self._maybe_recommend_cpu()

    def _hand_clipping_to_optimizer(self) -> None:
        """An optimizer that differentiates its closure (``update="adam"`` with ``optimizer_class`` NegativeMomentum
        or PGSOM) computes its own gradients, so REINFORCE's ``max_grad_norm`` is handed to it; one that cannot
        clip, or that was given a different ``max_grad_norm`` in ``optimizer_kwargs``, raises."""
        optimizer = self.policy.optimizer
        if self.clip_norm is None or not getattr(optimizer, "differentiates_closure", False):
            return
        own = getattr(optimizer, "max_grad_norm", "missing")
        if own == "missing":
            raise ValueError(
                f"max_grad_norm={self.clip_norm!r} cannot be applied by {type(optimizer).__name__}, which "
                "differentiates its closure and has no max_grad_norm; use max_grad_norm=None"
            )
        if own is not None and own != self.clip_norm:
            raise ValueError(
                f"max_grad_norm={self.clip_norm!r} differs from optimizer_kwargs max_grad_norm={own!r}; "
                "give one of them (or the same value)"
            )
        optimizer.max_grad_norm = self.clip_norm

    def _excluded_save_params(self) -> list[str]:
        return [*super()._excluded_save_params(), "_episodes"]

    # ------------------------------------------------------------------ rollouts
    def _returns(self, rewards: np.ndarray) -> np.ndarray:
        return RETURN_TYPES[self.return_type](rewards, self.gamma)

    def _episode_quota(self, n_envs: int) -> np.ndarray:
        """How many episodes each env contributes: fixed before the rollout (``n_episodes`` spread evenly), so
        which episodes are kept never depends on how long they are."""
        return self.n_episodes // n_envs + (np.arange(n_envs) < self.n_episodes % n_envs)

    def _rollout_step_limit(self, env: VecEnv) -> int:
        """``max_rollout_steps``, or by default 10 x the longest expected episode (the envs' largest
        ``spec.max_episode_steps``, else ``DEFAULT_LONGEST_EPISODE``) x the episodes each env collects."""
        if self.max_rollout_steps is not None:
            return self.max_rollout_steps
        lengths = [s.max_episode_steps for s in env.get_attr("spec") if s is not None and s.max_episode_steps]
        longest = max(lengths) if lengths else DEFAULT_LONGEST_EPISODE
        return 10 * longest * int(self._episode_quota(env.num_envs).max())

    @no_distribution_validation()
    def collect_rollouts(
        self,
        env: VecEnv,
        callback: BaseCallback,
        rollout_buffer: Any,
        n_rollout_steps: int,
    ) -> bool:
        """Collect ``n_episodes`` complete episodes into ``self._episodes``: with n_envs > 1, env ``i`` contributes
        its first ``quota[i]`` episodes of the rollout (all started with the current policy), whatever their
        lengths; its later episodes are discarded, so the batch (and ``rollout/ep_len_mean``) is an unbiased
        sample of whole episodes.

        :param env: the training VecEnv
        :param callback: SB3's callback
        :param rollout_buffer: unused (episodes live in ``self._episodes``)
        :param n_rollout_steps: unused (rollouts are whole episodes)
        """
        assert self._last_obs is not None, "No previous observation was provided"
        n_envs = env.num_envs
        self._start_rollout(env)
        callback.on_rollout_start()
        quota = self._episode_quota(n_envs)
        limit = self._rollout_step_limit(env)
        open_steps: list[list[tuple[Any, np.ndarray, float]]] = [[] for _ in range(n_envs)]
        kept: list[list[dict[str, Any]]] = [[] for _ in range(n_envs)]
        n_steps = 0
        while any(len(k) < q for k, q in zip(kept, quota, strict=True)):
            if n_steps >= limit:
                raise ValueError(
                    f"no {self.n_episodes} complete episodes within max_rollout_steps={limit} steps per env "
                    f"(max_rollout_steps={self.max_rollout_steps!r}; None: 10 x the longest expected episode); "
                    "raise max_rollout_steps or wrap the env in a TimeLimit"
                )
            if self.use_sde and self.sde_sample_freq > 0 and n_steps % self.sde_sample_freq == 0:
                self.policy.reset_noise(n_envs)
            with th.no_grad():
                actions, _, _ = self.policy(obs_as_tensor(self._last_obs, self.device))  # type: ignore[arg-type]
            actions = actions.cpu().numpy()
            new_obs, rewards, dones, infos = env.step(self._env_actions(actions))
            self.num_timesteps += n_envs
            callback.update_locals(locals())
            if not callback.on_step():
                return False
            counted = self._record_step(open_steps, kept, quota, actions, rewards, dones)
            self._update_info_buffer(
                [info if c else {} for info, c in zip(infos, counted, strict=True)], dones
            )
            n_steps += 1
            self._last_obs = new_obs  # type: ignore[assignment]
            self._last_episode_starts = dones
        # in the order the episodes started: every env's first, then every env's second, ...
        self._episodes = [k[j] for j in range(int(quota.max())) for k in kept if j < len(k)]
        self._envs_mid_episode = not all(
            self._last_episode_starts
        )  # an env past its quota may be mid-episode
        callback.update_locals(locals())
        callback.on_rollout_end()
        return True

    def _start_rollout(self, env: VecEnv) -> None:
        """Evaluation mode; with several envs, restart any left mid-episode by the previous rollout (its episodes
        would have begun under the previous policy); fresh gSDE noise."""
        self.policy.set_training_mode(False)
        if env.num_envs > 1 and self._envs_mid_episode:
            self._last_obs = env.reset()  # type: ignore[assignment]
            self._last_episode_starts = np.ones((env.num_envs,), dtype=bool)
        if self.use_sde:
            self.policy.reset_noise(env.num_envs)

    def _env_actions(self, actions: np.ndarray) -> np.ndarray:
        if isinstance(self.action_space, spaces.Box):
            if self.policy.squash_output:
                return self.policy.unscale_action(actions)
            return np.clip(actions, self.action_space.low, self.action_space.high)
        return actions

    def _record_step(self, open_steps, kept, quota, actions, rewards, dones) -> list[bool]:
        """Append one vector step to the open episodes; close finished ones, keeping those within the env's
        quota. Returns, per env, whether an episode of its quota finished now (for the episode statistics)."""
        counted = [False] * len(open_steps)
        for i in range(len(open_steps)):
            obs_i = (
                {k: v[i] for k, v in self._last_obs.items()}
                if isinstance(self._last_obs, dict)
                else self._last_obs[i]  # type: ignore[index]
            )
            if len(kept[i]) < quota[i]:
                open_steps[i].append((obs_i, actions[i], float(rewards[i])))
            if dones[i]:
                if len(kept[i]) < quota[i]:
                    kept[i].append(self._close_episode(open_steps[i]))
                    counted[i] = True
                open_steps[i] = []
        return counted

    def _close_episode(self, steps: list[tuple[Any, np.ndarray, float]]) -> dict[str, Any]:
        obs = [s[0] for s in steps]
        if isinstance(obs[0], dict):
            stacked: Any = {k: np.stack([o[k] for o in obs]) for k in obs[0]}
        else:
            stacked = np.stack(obs)
        rewards = np.array([s[2] for s in steps], dtype=np.float32)
        return {"obs": stacked, "actions": np.stack([s[1] for s in steps]), "returns": self._returns(rewards)}

    def _batch(self) -> tuple[Any, th.Tensor, th.Tensor]:
        eps = self._episodes
        if isinstance(eps[0]["obs"], dict):
            obs_np: Any = {k: np.concatenate([e["obs"][k] for e in eps]) for k in eps[0]["obs"]}
        else:
            obs_np = np.concatenate([e["obs"] for e in eps])
        obs = obs_as_tensor(obs_np, self.device)
        actions = th.as_tensor(np.concatenate([e["actions"] for e in eps]), device=self.device)
        if isinstance(self.action_space, spaces.Discrete):
            actions = actions.long().flatten()
        elif isinstance(self.action_space, spaces.Box):
            actions = actions.reshape(len(actions), -1)  # the Gaussian is over the flattened action
        returns = th.as_tensor(
            np.concatenate([e["returns"] for e in eps]), device=self.device, dtype=th.float32
        )
        return obs, actions, returns

    # ------------------------------------------------------------------ the update
    def _reduce(self, x: th.Tensor) -> th.Tensor:
        return REDUCTIONS[self.loss_reduction](x)

    def _advantages(self, obs: Any, returns: th.Tensor) -> th.Tensor:
        return BASELINES[self.baseline](self, obs, returns)

    def _policy_loss_fn(self, obs: Any, actions: th.Tensor, advantages: th.Tensor):
        def loss_fn() -> th.Tensor:
            dist = self.policy.get_distribution(obs)
            loss = -self._reduce(dist.log_prob(actions) * advantages)  # REINFORCE: -E[log pi(a|s) Ahat]
            if self.ent_coef > 0:
                loss = loss - self.ent_coef * self._reduce(dist.entropy())  # entropy bonus (PG-SOM Eq. 4)
            return loss

        return loss_fn

    def _clipped_grads(
        self, loss: th.Tensor, params: list[th.nn.Parameter]
    ) -> tuple[list[th.Tensor], th.Tensor]:
        grads = th.autograd.grad(loss, params, allow_unused=True)
        grads = [g if g is not None else th.zeros_like(p) for g, p in zip(grads, params, strict=True)]
        norm = total_norm(grads)
        if self.clip_norm is not None:
            scale = clip_coefficient(norm, self.clip_norm)
            grads = [g * scale for g in grads]
        return grads, norm

    def _rk2_step(self, loss_fn, lr: float) -> dict[str, th.Tensor] | None:
        """One Heun (or midpoint) step on ``-grad L``, both stages on the same batch (PG-SOM Eq. 3)."""
        params = self.policy.actor_parameters()
        start = [p.detach().clone() for p in params]
        k1, norm = self._clipped_grads(loss_fn(), params)
        k1 = [-g for g in k1]
        method = RK_METHODS[self.rk_method]
        stage = method.stage(lr)
        stage_point = [s + stage * k for s, k in zip(start, k1, strict=True)]
        if not all_finite(stage_point):
            return None  # nothing was written yet
        with th.no_grad():
            for p, x in zip(params, stage_point, strict=True):
                p.copy_(x)
        k2, _ = self._clipped_grads(loss_fn(), params)
        k2 = [-g for g in k2]
        with th.no_grad():
            new = [method.combine(s, a, b, lr) for s, a, b in zip(start, k1, k2, strict=True)]
            if not all_finite(new):
                for p, s in zip(params, start, strict=True):
                    p.copy_(s)
                return None
            for p, n in zip(params, new, strict=True):
                p.copy_(n)
            update_norm = total_norm([n - s for n, s in zip(new, start, strict=True)])
        return {"grad_norm": norm, "update_norm": update_norm}

    def _trajectory_terms_fn(self, obs: Any, actions: th.Tensor, advantages: th.Tensor):
        """PG-SOM's ``trajectory_terms`` (``curvature="return"``): each episode's ``log p(tau)`` and its weight,
        the loss's weight on the episode's first step (``-(R - b)`` for ``return_type="total"``; with
        rewards-to-go, the discounted return of the whole episode minus its baseline), times the loss's scale."""
        lengths = th.as_tensor([len(e["returns"]) for e in self._episodes], device=self.device)
        episode_of_step = th.repeat_interleave(th.arange(len(lengths), device=self.device), lengths)
        first_steps = th.cumsum(lengths, 0) - lengths
        scale = REDUCTION_SCALES[self.loss_reduction](len(advantages))

        def terms() -> tuple[th.Tensor, th.Tensor]:
            log_prob = self.policy.get_distribution(obs).log_prob(actions)
            per_episode = th.zeros(len(lengths), device=self.device, dtype=log_prob.dtype)
            per_episode = per_episode.index_add(0, episode_of_step, log_prob)
            return per_episode, -scale * advantages[first_steps]

        return terms

    def _optimizer_step(self, loss_fn, trajectory_terms=None) -> dict[str, th.Tensor] | None:
        """The actor's optimizer: our closure-differentiating optimizers get a closure (PG-SOM with
        ``curvature="return"`` also the trajectory terms), the others a guarded step."""
        optimizer = self.policy.optimizer
        params = self.policy.actor_parameters()
        if getattr(optimizer, "differentiates_closure", False):
            before = getattr(optimizer, "n_nonfinite", 0)
            if getattr(optimizer, "curvature", None) == "return":
                optimizer.step(loss_fn, trajectory_terms=trajectory_terms)
            else:
                optimizer.step(loss_fn)
            if getattr(optimizer, "n_nonfinite", 0) > before:
                return None
            return dict(getattr(optimizer, "last_stats", {}))
        start = [p.detach().clone() for p in params]
        result = guarded_optimizer_step(optimizer, params, loss_fn, self.clip_norm)
        if not result.accepted:
            return None
        with th.no_grad():
            update_norm = total_norm([p - s for p, s in zip(params, start, strict=True)])
        return {"grad_norm": th.tensor(result.grad_norm), "update_norm": update_norm}

    @no_distribution_validation()
    def train(self) -> None:
        """One REINFORCE update on the episodes of the last rollout (and the value baseline's steps)."""
        self.policy.set_training_mode(True)
        lr = float(self.lr_schedule(self._current_progress_remaining))
        update_learning_rate(self.policy.optimizer, lr)
        obs, actions, returns = self._batch()
        advantages = self._advantages(obs, returns)
        loss_fn = self._policy_loss_fn(obs, actions, advantages)
        if self.update == "rk2":
            stats = self._rk2_step(loss_fn, lr)
        else:
            needs_terms = getattr(self.policy.optimizer, "curvature", None) == "return"
            terms = self._trajectory_terms_fn(obs, actions, advantages) if needs_terms else None
            stats = self._optimizer_step(loss_fn, terms)
        if stats is None:
            self.nonfinite_skips_total += 1
        critic_log = StepLog()
        if self.baseline == "value":
            critic_lr = float(self.critic_lr_schedule(self._current_progress_remaining))
            update_learning_rate(self.policy.critic_optimizer, critic_lr)

            def critic_loss() -> th.Tensor:
                return F.mse_loss(self.policy.predict_values(obs).flatten(), returns)

            for _ in range(self.n_critic_steps):
                critic_log.add(
                    guarded_optimizer_step(
                        self.policy.critic_optimizer, self.policy.critic_parameters(), critic_loss
                    )
                )
            self.nonfinite_skips_total += critic_log.nonfinite
        self._n_updates += 1
        with th.no_grad():
            dist = self.policy.get_distribution(obs)
            entropy = dist.entropy().mean()
            loss_after = loss_fn()
        log = self.logger.record
        log("train/policy_loss", loss_after.item())
        log("train/entropy", entropy.item())
        log("train/learning_rate", lr)
        log("train/batch_steps", len(returns))
        log("train/batch_return_mean", returns.mean().item())
        for key, value in (stats or {}).items():
            log(f"train/{key}", float(value))
        optimizer = self.policy.optimizer
        if hasattr(optimizer, "acceptance_rate"):
            log("train/nm_acceptance_rate", optimizer.acceptance_rate)
        record_mean(self.logger, "train/value_loss", critic_log.losses)
        log("train/nonfinite_skips_total", self.nonfinite_skips_total)
        log("train/n_updates", self._n_updates, exclude="tensorboard")
