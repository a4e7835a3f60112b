"""Stateful policies: a stochastic internal-state kernel ``q(z'|o, z, a_prev)`` and a stateless action head
``pi(a|o, z, a_prev)``, as SB3 policies over the augmented observation ``Dict(obs, z, prev_action[,
privileged])`` and the joint action ``[a; z']`` produced by :class:`~sb3_pgx.common.stateful.vec_env.S2PGVecEnv`."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3.common.policies import ActorCriticPolicy, BasePolicy
from stable_baselines3.common.preprocessing import get_flattened_obs_dim, preprocess_obs
from stable_baselines3.common.torch_layers import create_mlp
from stable_baselines3.common.type_aliases import PyTorchObs, Schedule
from torch import nn

from sb3_pgx.common.stateful.kernel import (
    LOG_STD_MAX,
    LOG_STD_MIN,
    StatefulKernel,
    gaussian_entropy,
    gaussian_log_prob,
    squashed_gaussian_rsample,
)


def _dims(observation_space: spaces.Dict, action_space: spaces.Box) -> tuple[int, int, int, int]:
    """``(obs_dim, z_dim, prev_dim, joint action dim)`` of the augmented spaces (``obs_dim`` after one-hot
    encoding)."""
    obs_dim = get_flattened_obs_dim(observation_space["obs"])
    z_dim = int(observation_space["z"].shape[0])
    prev_dim = int(observation_space["prev_action"].shape[0])
    return obs_dim, z_dim, prev_dim, int(action_space.shape[0])


def flat_obs(obs: th.Tensor, space: spaces.Space) -> th.Tensor:
    """The env's observation as a float batch of vectors: one-hot for ``Discrete`` / ``MultiDiscrete`` (SB3's
    ``preprocess_obs``, without image scaling), flattened.

    :param obs: a batch of the env's observations
    :param space: the env's observation space
    """
    return preprocess_obs(obs, space, normalize_images=False).float().flatten(1)


def _log_half_range(joint_space: spaces.Box, action_dim: int) -> th.Tensor:
    """``log((high - low) / 2)`` of the action part of the joint space (0 where a bound is infinite)."""
    low, high = (
        joint_space.low[:action_dim].astype(np.float64),
        joint_space.high[:action_dim].astype(np.float64),
    )
    half = np.where(np.isfinite(low) & np.isfinite(high), (high - low) / 2.0, 1.0)
    return th.as_tensor(np.log(half), dtype=th.float32)


class AugmentedObservationPolicy:
    """Put it first in the bases of an S2PG policy: ``predict`` acts on the augmented observation only (the
    policy cannot carry the internal state; the algorithm's ``predict`` does)."""

    def predict(
        self,
        observation: np.ndarray | dict[str, np.ndarray],
        state: tuple[np.ndarray, ...] | None = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...] | None]:
        """SB3's ``predict`` on ``Dict(obs, z, prev_action[, privileged])``; returns joint actions ``[a; z']``.

        :param observation: the augmented observation (a ``ValueError`` for the env's own observation)
        :param state: unused (the internal state is part of the observation)
        :param episode_start: unused
        :param deterministic: use the means of ``a`` and ``z'``
        :return: the joint action(s) and ``state``
        """
        if not isinstance(observation, dict) or not {"obs", "z", "prev_action"} <= observation.keys():
            raise ValueError(
                "an S2PG policy's predict takes the augmented observation Dict(obs, z, prev_action[, "
                "privileged]); to act from the env's observations use model.predict(obs, state, "
                "episode_start), which carries the internal state"
            )
        return super().predict(observation, state, episode_start, deterministic)  # type: ignore[misc]


class JointDistribution:
    """``pi(a, z' | o, z, a_prev) = pi^a(a | .) q(z' | .)`` with a diagonal Gaussian or categorical ``a`` and
    a diagonal Gaussian ``z'``; joint log-probability = sum of the two (reference B.1, B.4 PPO).

    :param action_params: ``(mean, log_std)`` of a Gaussian ``a`` or ``(logits, None)`` of a categorical ``a``
    :param z_mean: mean of ``z'``
    :param z_log_std: log-std of ``z'``
    :param a_noise: the Gaussian ``a``'s exploration noise (gSDE: ``latent @ exploration matrix``, held for
        ``sde_sample_freq`` steps); None: ``std * N(0, 1)`` drawn at each sample
    """

    def __init__(
        self,
        action_params: tuple[th.Tensor, th.Tensor | None],
        z_mean: th.Tensor,
        z_log_std: th.Tensor,
        a_noise: Callable[[], th.Tensor] | None = None,
    ):
        self.a_param, self.a_log_std = action_params
        self.a_noise = a_noise
        self.discrete = self.a_log_std is None
        self.z_mean, self.z_log_std = z_mean, z_log_std.expand_as(z_mean)
        if not self.discrete:
            self.a_log_std = self.a_log_std.expand_as(self.a_param)
        self.a_width = 1 if self.discrete else self.a_param.shape[-1]
        # built once: each construction normalises the logits again (the rollout asks for a sample and its
        # log-probability, the update for log-probabilities and the entropy)
        self.categorical = (
            th.distributions.Categorical(logits=self.a_param, validate_args=False) if self.discrete else None
        )

    def action_log_prob(self, actions: th.Tensor) -> th.Tensor:
        """``log pi^a(a|.)``.

        :param actions: the ``a`` part of joint actions (categorical: one column holding the action index)
        """
        if self.discrete:
            return self.categorical.log_prob(actions[..., 0].round().long())
        return gaussian_log_prob(actions, self.a_param, self.a_log_std)

    def z_log_prob(self, z_next: th.Tensor) -> th.Tensor:
        """``log q(z'|.)``.

        :param z_next: the ``z'`` part of joint actions
        """
        return gaussian_log_prob(z_next, self.z_mean, self.z_log_std)

    def log_prob(self, joint: th.Tensor) -> th.Tensor:
        """The joint ``log pi^a(a|.) + log q(z'|.)``.

        :param joint: joint actions ``[a; z']``
        """
        return self.action_log_prob(joint[..., : self.a_width]) + self.z_log_prob(joint[..., self.a_width :])

    def z_entropy(self) -> th.Tensor:
        """The entropy of ``q(z'|.)``."""
        return gaussian_entropy(self.z_log_std)

    def entropy(self) -> th.Tensor:
        """The joint entropy, the sum of those of ``a`` and ``z'``."""
        a_entropy = self.categorical.entropy() if self.discrete else gaussian_entropy(self.a_log_std)
        return a_entropy + self.z_entropy()

    def get_actions(self, deterministic: bool = False) -> th.Tensor:
        """A sample of joint actions ``[a; z']`` (a categorical ``a`` as one float column).

        :param deterministic: the modes instead of samples (the means; the most likely discrete action)
        """
        if self.discrete:
            a = self.a_param.argmax(-1) if deterministic else self.categorical.sample()
            a = a.unsqueeze(-1).float()
        elif deterministic:
            a = self.a_param
        elif self.a_noise is not None:
            a = self.a_param + self.a_noise()
        else:
            a = self.a_param + self.a_log_std.exp() * th.randn_like(self.a_param)
        z = self.z_mean if deterministic else self.z_mean + self.z_log_std.exp() * th.randn_like(self.z_mean)
        return th.cat([a, z], dim=-1)


class S2PGActorCriticPolicy(AugmentedObservationPolicy, ActorCriticPolicy):
    """S2PG-PPO policy (official ``PPOActorBPTTNetwork`` / ``PPONetwork_prev_a``, reference B.2-B.4).

    ``h' = kernel(o, z, a_prev)``; action mean (or logits) = MLP([ReLU(W o), h']); ``z' ~ N(h', sigma_z^2)``;
    learned state-independent log-stds for ``a`` and ``z'``; ``V(o, z, a_prev)`` is an MLP. With ``use_sde``
    the continuous action explores with gSDE instead (SB3's ``StateDependentNoiseDistribution`` with
    ``full_std=True``, ``learn_features=False``): noise ``latent @ E``, where ``latent`` is the action head's
    last hidden layer and ``E ~ N(0, sigma^2)`` is redrawn every ``sde_sample_freq`` steps; ``z'`` keeps its
    Gaussian noise.

    :param observation_space: the augmented ``Dict`` space
    :param action_space: the joint ``Box`` space ``[a; z']``
    :param lr_schedule: learning-rate schedule
    :param n_discrete: number of discrete actions (None: ``a`` is continuous); filled in by the algorithm
    :param n_features: width of the kernel's and the action head's embeddings
    :param action_net_arch: hidden layers of the action head after ``[ReLU(W o), h']`` (official: none)
    :param value_net_arch: hidden layers of ``V``
    :param log_std_init: initial log-std of ``a`` relative to the half-range of a bounded ``Box`` action (std
        ``exp(log_std_init) (high - low) / 2`` per dimension): the official std 0.5 on MuJoCo's [-1, 1], 1.0 on
        Pendulum's [-2, 2] (an absolute 0.5 explores a quarter of it, see docs/s2pg.md)
    :param z_log_std_init: initial log-std of ``z'`` (official std 0.5)
    :param kernel_rate: ``r`` in ``z'_mean = (1 - r) z + r h'``
    :param activation_fn: activation of the value net and the action head's hidden layers
    :param ortho_init: orthogonal initialisation of the linear layers with SB3's gains (sqrt(2) for hidden layers,
        0.01 for the action's output layer), except gain 1 for every layer of ``V``
    :param optimizer_class: optimizer
    :param optimizer_kwargs: its keyword arguments
    :param use_sde: gSDE for a continuous action (``log_std`` is then a ``(latent, action)`` matrix, each
        entry starting at ``log_std_init`` plus the half-range offset)
    :param kwargs: ignored keys of ``ActorCriticPolicy`` (``full_std`` must be True and ``use_expln`` False)
    """

    def __init__(
        self,
        observation_space: spaces.Dict,
        action_space: spaces.Box,
        lr_schedule: Schedule,
        n_discrete: int | None = None,
        n_features: int = 128,
        action_net_arch: list[int] | None = None,
        value_net_arch: list[int] | None = None,
        log_std_init: float = math.log(0.5),
        z_log_std_init: float = math.log(0.5),
        kernel_rate: float = 1.0,
        activation_fn: type[nn.Module] = nn.ReLU,
        ortho_init: bool = True,
        optimizer_class: type[th.optim.Optimizer] = th.optim.Adam,
        optimizer_kwargs: dict[str, Any] | None = None,
        use_sde: bool = False,
        **kwargs: Any,
    ) -> None:
        if use_sde and n_discrete is not None:
            raise ValueError(
                "use_sde=True needs a Box action space (gSDE perturbs continuous actions); got Discrete"
            )
        if kwargs.get("full_std", True) is not True or kwargs.get("use_expln", False) is not False:
            raise ValueError("S2PG's gSDE has full_std=True and use_expln=False only (allowed: those values)")
        self._s2pg_kwargs = {
            "n_discrete": n_discrete,
            "n_features": n_features,
            "action_net_arch": list(action_net_arch or []),
            "value_net_arch": list(value_net_arch if value_net_arch is not None else [128, 128]),
            "z_log_std_init": z_log_std_init,
            "kernel_rate": kernel_rate,
        }
        super().__init__(
            observation_space,
            action_space,
            lr_schedule,
            activation_fn=activation_fn,
            ortho_init=ortho_init,
            log_std_init=log_std_init,
            optimizer_class=optimizer_class,
            optimizer_kwargs=optimizer_kwargs,
            use_sde=use_sde,
            **kwargs,
        )

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.update(self._s2pg_kwargs)
        for key in (
            "net_arch",
            "full_std",
            "use_expln",
            "squash_output",
            "share_features_extractor",
        ):
            data.pop(key, None)
        return data

    def _build(self, lr_schedule: Schedule) -> None:
        cfg = self._s2pg_kwargs
        obs_dim, z_dim, prev_dim, joint_dim = _dims(self.observation_space, self.action_space)
        self.z_dim, self.n_discrete = z_dim, cfg["n_discrete"]
        self.action_dim = joint_dim - z_dim
        head_out = self.n_discrete if self.n_discrete is not None else self.action_dim
        n_features = cfg["n_features"]
        self.kernel = StatefulKernel(obs_dim, prev_dim, z_dim, n_features, cfg["kernel_rate"])
        self.head_obs_embed = nn.Sequential(nn.Linear(obs_dim, n_features), nn.ReLU())
        self.action_head = nn.Sequential(
            *create_mlp(n_features + z_dim, head_out, cfg["action_net_arch"], self.activation_fn)
        )
        self.value_head = nn.Sequential(
            *create_mlp(obs_dim + z_dim + prev_dim, 1, cfg["value_net_arch"], self.activation_fn)
        )
        offset = _log_half_range(self.action_space, self.action_dim) if self.n_discrete is None else 0.0
        latent_dim = (cfg["action_net_arch"] or [n_features + z_dim])[-1]
        std_shape = (latent_dim, self.action_dim) if self.use_sde else (self.action_dim,)
        self.log_std = nn.Parameter(th.full(std_shape, float(self.log_std_init)) + offset)
        self.z_log_std = nn.Parameter(th.full((z_dim,), float(cfg["z_log_std_init"])))
        # SB3's gains, but 1 for every layer of V (as every published S2PG-PPO run had it)
        if self.ortho_init:
            for module, gain in (
                (self.kernel, math.sqrt(2)),
                (self.head_obs_embed, math.sqrt(2)),
                (self.action_head[:-1], math.sqrt(2)),
                (self.action_head[-1], 0.01),
                (self.value_head, 1.0),
            ):
                module.apply(lambda m, g=gain: self.init_weights(m, g))
        self.optimizer = self.optimizer_class(self.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs)
        if self.use_sde:
            self.reset_noise()

    def reset_noise(self, n_envs: int = 1) -> None:
        """gSDE: draw new exploration matrices ``E ~ N(0, exp(log_std)^2)``, one per env (SB3's rollout calls
        this every ``sde_sample_freq`` steps).

        :param n_envs: the number of matrices (a batch of another size uses the first)
        """
        std = self.log_std.detach().exp()
        # a buffer, so that .to(device) moves it; not persistent: a saved model does not carry it
        self.register_buffer(
            "exploration", std * th.randn((n_envs, *std.shape), device=std.device), persistent=False
        )

    def _split_obs(self, obs: PyTorchObs) -> tuple[th.Tensor, th.Tensor, th.Tensor]:
        assert isinstance(obs, dict)
        o = flat_obs(obs["obs"], self.observation_space["obs"])  # type: ignore[index]
        return o, obs["z"].float(), obs["prev_action"].float()

    def _distribution(self, o: th.Tensor, z: th.Tensor, prev: th.Tensor) -> JointDistribution:
        z_mean = self.kernel(o, z, prev)
        head_input = th.cat([self.head_obs_embed(o), z_mean], dim=-1)
        if self.use_sde:
            return self._sde_distribution(head_input, z_mean)
        head = self.action_head(head_input)
        a_params = (head, None) if self.n_discrete is not None else (head, self.log_std)
        return JointDistribution(a_params, z_mean, self.z_log_std)

    def _sde_distribution(self, head_input: th.Tensor, z_mean: th.Tensor) -> JointDistribution:
        """gSDE's action (SB3's formulas): ``a ~ N(mu, latent^2 @ sigma^2 + 1e-6)`` with ``latent`` detached, so
        that its std trains ``log_std`` only, and the sample ``mu + latent @ E`` (the env's own ``E``)."""
        latent = self.action_head[:-1](head_input)
        mean = self.action_head[-1](latent)
        latent = latent.detach()
        log_std = 0.5 * th.log(latent.pow(2) @ self.log_std.exp().pow(2) + 1e-6)

        def noise() -> th.Tensor:
            if len(latent) != len(self.exploration):
                return latent @ self.exploration[0]
            return th.bmm(latent.unsqueeze(1), self.exploration).squeeze(1)

        return JointDistribution((mean, log_std), z_mean, self.z_log_std, noise)

    def _distribution_and_values(self, obs: PyTorchObs) -> tuple[JointDistribution, th.Tensor]:
        """The joint distribution and ``V(o, z, a_prev)``, splitting (and one-hot encoding) ``obs`` once."""
        o, z, prev = self._split_obs(obs)
        return self._distribution(o, z, prev), self.value_head(th.cat([o, z, prev], dim=-1))

    def get_distribution(self, obs: PyTorchObs) -> JointDistribution:  # type: ignore[override]
        """The joint distribution of ``(a, z')``.

        :param obs: the augmented observations
        """
        return self._distribution(*self._split_obs(obs))

    def predict_values(self, obs: PyTorchObs) -> th.Tensor:
        """``V(o, z, a_prev)``.

        :param obs: the augmented observations
        """
        return self.value_head(th.cat(self._split_obs(obs), dim=-1))

    def forward(self, obs: PyTorchObs, deterministic: bool = False) -> tuple[th.Tensor, th.Tensor, th.Tensor]:
        """Act: joint actions, values and joint log-probabilities (SB3's rollout call).

        :param obs: the augmented observations
        :param deterministic: the means (the most likely discrete action) instead of samples
        :return: ``(actions, values, log_prob)``
        """
        dist, values = self._distribution_and_values(obs)
        actions = dist.get_actions(deterministic)
        return actions, values, dist.log_prob(actions)

    def evaluate_actions(self, obs: PyTorchObs, actions: th.Tensor) -> tuple[th.Tensor, th.Tensor, th.Tensor]:
        """Values, joint log-probabilities and joint entropies (SB3's ``train`` call).

        :param obs: the augmented observations
        :param actions: joint actions ``[a; z']``
        :return: ``(values, log_prob, entropy)``
        """
        dist, values = self._distribution_and_values(obs)
        return values, dist.log_prob(actions), dist.entropy()

    def evaluate_factored(
        self, obs: PyTorchObs, actions: th.Tensor
    ) -> tuple[th.Tensor, th.Tensor, th.Tensor, th.Tensor]:
        """``(V, log pi^a(a|.), log q(z'|.), joint entropy)`` of joint actions ``[a; z']``.

        :param obs: the augmented observations
        :param actions: joint actions ``[a; z']``
        """
        dist, values = self._distribution_and_values(obs)
        a, z_next = actions[..., : dist.a_width], actions[..., dist.a_width :]
        return values, dist.action_log_prob(a), dist.z_log_prob(z_next), dist.entropy()

    def z_log_prob(self, obs: PyTorchObs, actions: th.Tensor) -> th.Tensor:
        """``log q(z'|o, z, a_prev)`` of the ``z'`` part of joint actions.

        :param obs: the augmented observations
        :param actions: joint actions ``[a; z']``
        """
        dist = self.get_distribution(obs)
        return dist.z_log_prob(actions[..., dist.a_width :])

    def _predict(self, observation: PyTorchObs, deterministic: bool = False) -> th.Tensor:
        return self.get_distribution(observation).get_actions(deterministic)


class StatefulActor(nn.Module):
    """Off-policy actor: kernel mean ``h'``, head MLP([ReLU(W o), h']) (official ``SACRecurrentActorNetwork`` /
    ``TD3ActorRecurrentNetwork``, reference B.2).

    Stochastic (SAC): the head gives ``[mu_a, log_std_a, log_std_z]``; ``a = tanh(mu_a + sigma_a eps)``,
    ``z' = tanh(h' + sigma_z eps')`` (log-stds clamped to [-20, 2]). Deterministic (TD3): ``a = tanh(head)``,
    ``z' = h'`` (the GRU output, already in (-1, 1)).

    :param observation_space: the augmented ``Dict`` space
    :param action_dim: size of ``a``
    :param z_dim: size of ``z``
    :param n_features: embedding width
    :param net_arch: hidden layers of the head
    :param stochastic: SAC (True) or TD3 (False)
    :param kernel_rate: ``r`` of the kernel mean
    """

    def __init__(
        self,
        observation_space: spaces.Dict,
        action_dim: int,
        z_dim: int,
        n_features: int,
        net_arch: list[int],
        stochastic: bool,
        kernel_rate: float = 1.0,
    ) -> None:
        super().__init__()
        obs_dim, _, prev_dim, _ = _dims(observation_space, spaces.Box(-1, 1, (action_dim + z_dim,)))
        self.action_dim, self.z_dim, self.stochastic = action_dim, z_dim, stochastic
        self.obs_space = observation_space["obs"]
        self.kernel = StatefulKernel(obs_dim, prev_dim, z_dim, n_features, kernel_rate)
        self.obs_embed = nn.Sequential(nn.Linear(obs_dim, n_features), nn.ReLU())
        out = 2 * action_dim + z_dim if stochastic else action_dim
        self.head = nn.Sequential(*create_mlp(n_features + z_dim, out, net_arch, nn.ReLU))

    def _heads(self, obs: dict[str, th.Tensor]) -> tuple[th.Tensor, th.Tensor]:
        o, z, prev = flat_obs(obs["obs"], self.obs_space), obs["z"].float(), obs["prev_action"].float()
        z_mean = self.kernel(o, z, prev)
        return z_mean, self.head(th.cat([self.obs_embed(o), z_mean], dim=-1))

    def action_log_prob(self, obs: dict[str, th.Tensor]) -> tuple[th.Tensor, th.Tensor, th.Tensor, th.Tensor]:
        """Reparameterised joint sample ``[a; z']``, ``log pi^a(a|.)``, ``log q(z'|.)`` and ``sigma_z``
        (SAC).

        :param obs: the augmented observations
        """
        z_mean, head = self._heads(obs)
        mu_a, log_std_a, log_std_z = th.split(head, [self.action_dim, self.action_dim, self.z_dim], dim=-1)
        log_std_a = log_std_a.clamp(LOG_STD_MIN, LOG_STD_MAX)
        log_std_z = log_std_z.clamp(LOG_STD_MIN, LOG_STD_MAX)
        a, log_prob_a = squashed_gaussian_rsample(mu_a, log_std_a)
        z_next, log_prob_z = squashed_gaussian_rsample(z_mean, log_std_z)
        return th.cat([a, z_next], dim=-1), log_prob_a, log_prob_z, log_std_z.exp()

    def forward(self, obs: dict[str, th.Tensor], deterministic: bool = True) -> th.Tensor:
        """Joint actions ``[a; z']`` in [-1, 1]: TD3 ``[tanh(head); h']`` (``deterministic`` is ignored); SAC
        ``[tanh(mu_a); tanh(h')]``, or a sample when not ``deterministic``.

        :param obs: the augmented observations
        :param deterministic: (SAC) the squashed means instead of a sample
        """
        z_mean, head = self._heads(obs)
        if not self.stochastic:
            return th.cat([th.tanh(head), z_mean], dim=-1)
        if not deterministic:
            return self.action_log_prob(obs)[0]
        return th.cat([th.tanh(head[:, : self.action_dim]), th.tanh(z_mean)], dim=-1)


class StatefulCritic(nn.Module):
    """Twin ``Q(s, z, a, z', a_prev)``: ``s`` is the observation, concatenated with the privileged state when
    the observation has one (the full state only the critic sees). ``[a; z']`` is the joint action.

    The official critic (``CriticHiddenStatev3_prev_action``) sums three encoders; here each Q is one MLP
    over the concatenation (same inputs, simpler; reference B.3).

    :param observation_space: the augmented ``Dict`` space
    :param joint_action_dim: size of ``[a; z']``
    :param net_arch: hidden layers of each Q
    :param n_critics: number of Q networks
    """

    def __init__(
        self, observation_space: spaces.Dict, joint_action_dim: int, net_arch: list[int], n_critics: int = 2
    ):
        super().__init__()
        self.keys = [k for k in ("obs", "privileged", "z", "prev_action") if k in observation_space.spaces]
        self.spaces = {k: observation_space[k] for k in self.keys}
        in_dim = sum(get_flattened_obs_dim(space) for space in self.spaces.values()) + joint_action_dim
        self.q_networks = nn.ModuleList(
            nn.Sequential(*create_mlp(in_dim, 1, net_arch, nn.ReLU)) for _ in range(n_critics)
        )
        self.share_features_extractor = False

    def _input(self, obs: dict[str, th.Tensor], actions: th.Tensor) -> th.Tensor:
        return th.cat([flat_obs(obs[k], space) for k, space in self.spaces.items()] + [actions], dim=-1)

    def forward(self, obs: dict[str, th.Tensor], actions: th.Tensor) -> tuple[th.Tensor, ...]:
        """Every Q network's value, each of shape ``(batch, 1)``.

        :param obs: the augmented observations
        :param actions: joint actions ``[a; z']``
        """
        x = self._input(obs, actions)
        return tuple(q(x) for q in self.q_networks)

    def q1_forward(self, obs: dict[str, th.Tensor], actions: th.Tensor) -> th.Tensor:
        """The first Q network's value (TD3's actor loss).

        :param obs: the augmented observations
        :param actions: joint actions ``[a; z']``
        """
        return self.q_networks[0](self._input(obs, actions))


class S2PGOffPolicy(AugmentedObservationPolicy, BasePolicy):
    """Actor, twin critic and their targets for S2PG-SAC / S2PG-TD3 (joint action squashed to [-1, 1]).

    :param observation_space: the augmented ``Dict`` space
    :param action_space: the joint ``Box`` space ``[a; z']``
    :param lr_schedule: learning-rate schedule (actor and critic)
    :param n_features: embedding width of the actor
    :param net_arch: hidden layers of the actor head and of each Q (list, or ``dict(pi=..., qf=...)``)
    :param kernel_rate: ``r`` of the kernel mean
    :param n_critics: number of Q networks
    :param stochastic: SAC (True) or TD3 (False) actor
    :param optimizer_class: optimizer
    :param optimizer_kwargs: its keyword arguments
    :param kwargs: ignored SB3 keys (``use_sde`` must be False)
    """

    def __init__(
        self,
        observation_space: spaces.Dict,
        action_space: spaces.Box,
        lr_schedule: Schedule,
        n_features: int = 256,
        net_arch: list[int] | dict[str, list[int]] | None = None,
        kernel_rate: float = 1.0,
        n_critics: int = 2,
        stochastic: bool = True,
        optimizer_class: type[th.optim.Optimizer] = th.optim.Adam,
        optimizer_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs.pop("use_sde", False):
            raise ValueError(
                "use_sde must be False for S2PG-SAC/TD3 policies (allowed: False; S2PG-PPO has gSDE)"
            )
        super().__init__(
            observation_space,
            action_space,
            optimizer_class=optimizer_class,
            optimizer_kwargs=optimizer_kwargs,
            squash_output=True,
        )
        if net_arch is None:
            net_arch = [256] if stochastic else []
        pi_arch, qf_arch = (
            (net_arch["pi"], net_arch["qf"]) if isinstance(net_arch, dict) else (net_arch, [256, 256])
        )
        self.s2pg_kwargs = {
            "n_features": n_features,
            "net_arch": net_arch,
            "kernel_rate": kernel_rate,
            "n_critics": n_critics,
            "stochastic": stochastic,
        }
        _, z_dim, _, joint_dim = _dims(observation_space, action_space)
        action_dim = joint_dim - z_dim

        def make_actor() -> StatefulActor:
            return StatefulActor(
                observation_space, action_dim, z_dim, n_features, list(pi_arch), stochastic, kernel_rate
            )

        def make_critic() -> StatefulCritic:
            return StatefulCritic(observation_space, joint_dim, list(qf_arch), n_critics)

        self.actor, self.critic, self.critic_target = make_actor(), make_critic(), make_critic()
        self.critic_target.load_state_dict(self.critic.state_dict())
        self.actor.optimizer = self.optimizer_class(
            self.actor.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs
        )
        self.critic.optimizer = self.optimizer_class(
            self.critic.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs
        )
        if not stochastic:
            self.actor_target = make_actor()
            self.actor_target.load_state_dict(self.actor.state_dict())
            self.actor_target.train(False)
        self.critic_target.train(False)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.update(self.s2pg_kwargs)
        data.update(
            lr_schedule=self._dummy_schedule,
            optimizer_class=self.optimizer_class,
            optimizer_kwargs=self.optimizer_kwargs,
        )
        return data

    def forward(self, obs: PyTorchObs, deterministic: bool = False) -> th.Tensor:
        """The actor's joint actions ``[a; z']``.

        :param obs: the augmented observations
        :param deterministic: (SAC) the squashed means instead of a sample
        """
        return self._predict(obs, deterministic)

    def _predict(self, observation: PyTorchObs, deterministic: bool = False) -> th.Tensor:
        return self.actor(observation, deterministic=deterministic)  # type: ignore[arg-type]

    def set_training_mode(self, mode: bool) -> None:
        """Put the actor and the critic (not the targets) in training or evaluation mode.

        :param mode: True: training mode
        """
        self.actor.train(mode)
        self.critic.train(mode)
        self.training = mode


class S2PGSACPolicy(S2PGOffPolicy):
    """:class:`S2PGOffPolicy` with the stochastic (SAC) actor, head ``[256]``. ``n_features`` defaults to 128
    (official: 256), which keeps an update within ~1.2x of SB3's SAC on CPU (see docs/s2pg.md).

    :param args: :class:`S2PGOffPolicy`'s positional arguments (``observation_space``, ``action_space``,
        ``lr_schedule``)
    :param n_features: embedding width of the actor
    :param kwargs: :class:`S2PGOffPolicy`'s keyword arguments (``stochastic`` is set to True)
    """

    def __init__(self, *args: Any, n_features: int = 128, **kwargs: Any) -> None:
        kwargs["stochastic"] = True
        super().__init__(*args, n_features=n_features, **kwargs)


class S2PGTD3Policy(S2PGOffPolicy):
    """:class:`S2PGOffPolicy` with the deterministic (TD3) actor; official widths: features 128, linear
    head.

    :param args: :class:`S2PGOffPolicy`'s positional arguments (``observation_space``, ``action_space``,
        ``lr_schedule``)
    :param n_features: embedding width of the actor
    :param kwargs: :class:`S2PGOffPolicy`'s keyword arguments (``stochastic`` is set to False)
    """

    def __init__(self, *args: Any, n_features: int = 128, **kwargs: Any) -> None:
        kwargs["stochastic"] = False
        super().__init__(*args, n_features=n_features, **kwargs)
