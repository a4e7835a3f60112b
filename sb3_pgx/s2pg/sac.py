"""S2PG-SAC: SAC with a stochastic stateful policy, a critic ``Q(s, z, a, z', a_prev)`` and two
temperatures."""

from __future__ import annotations

from typing import Any, ClassVar

import torch as th
from stable_baselines3 import SAC
from stable_baselines3.common.noise import ActionNoise
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.type_aliases import DictReplayBufferSamples, GymEnv, Schedule
from stable_baselines3.common.utils import polyak_update

from sb3_pgx.common.saving import AtomicSaveMixin
from sb3_pgx.common.stateful.mixins import StatefulOffPolicyMixin
from sb3_pgx.common.stateful.validation import reject_sde
from sb3_pgx.common.steps import StepLog, StepResult, guarded_optimizer_step
from sb3_pgx.s2pg.policies import S2PGSACPolicy


def _temperature(value: str | float, name: str, device: th.device) -> tuple[th.Tensor, bool]:
    """``("auto" | "auto_<init>" | float)`` -> (log temperature, learned?)."""
    allowed = f"{name} must be a float > 0, 'auto' or 'auto_<init>' with <init> > 0; got {value!r}"
    learned = isinstance(value, str)
    text = (value.split("_", 1)[1] if "_" in value else "1.0") if learned else value
    if learned and not value.startswith("auto"):
        raise ValueError(allowed)
    try:
        init = float(text)
    except (TypeError, ValueError):
        raise ValueError(allowed) from None
    if not init > 0:
        raise ValueError(allowed)
    log_value = th.log(th.full((1,), init, device=device))
    return (log_value.requires_grad_(True), True) if learned else (log_value, False)


class S2PGSAC(AtomicSaveMixin, StatefulOffPolicyMixin, SAC):
    """Stochastic Stateful Policy Gradient with SAC (Al-Hafez et al., ICLR 2024; official ``SAC_RS``).

    The actor samples ``a = tanh(mu_a + sigma_a eps)`` and ``z' = tanh(h' + sigma_z eps')`` jointly by
    reparameterisation from ``(o, z, a_prev)``; ``z`` is a fixed input (no BPTT). Losses (reference B.4):

    - actor: ``E[alpha log pi^a(a|.) + alpha_z log q(z'|.) - min_k Q_k(s, z, a, z', a_prev)]``;
    - temperatures: ``-log alpha (log pi^a + H_a)`` with ``H_a = -dim(a)`` and ``-log alpha_z (log q + H_z)``
      with ``H_z = -dim(z)``, each with its own Adam;
    - critic: ``y = r + gamma (1 - d) [min_k Q'_k(s', z', a'', z'', a) - alpha log pi^a(a''|.)]``; the ``z'``
      entropy term is excluded from the target (``add_z_entropy_to_target=False``, as in every official
      launcher);
    - afterwards the sampled transitions' stored ``z'`` are replaced by the actor-loss sample
      (``z_refresh_tau=1``; reference B.3).

    The critic may see the env's privileged state (``privileged_critic=True``; the policy never does).
    Official hyperparameters (privileged tasks): z_dim 32, batch 256, tau 0.001, actor lr 1e-4, alpha_z init
    0.01. A non-finite loss or gradient skips that step (weights untouched), counted in
    ``train/nonfinite_skips``.

    :param policy: ``"MlpPolicy"`` or an :class:`S2PGSACPolicy` subclass
    :param env: the env (``Box``, ``Discrete``, ``MultiDiscrete`` or ``MultiBinary`` observations; ``Box``
        actions of any shape) or its id
    :param z_dim: internal-state dimension (>= 1; default 32)
    :param learning_rate: learning rate of actor, critic and temperatures (or schedule)
    :param buffer_size: replay size
    :param learning_starts: random-action steps before learning
    :param batch_size: minibatch size
    :param tau: Polyak coefficient
    :param gamma: discount
    :param train_freq: update every ``train_freq`` steps
    :param gradient_steps: gradient steps per update
    :param action_noise: extra action noise on the joint action (usually None)
    :param replay_buffer_class: None or a :class:`~sb3_pgx.common.stateful.buffers.StatefulReplayBuffer` subclass
    :param replay_buffer_kwargs: its keyword arguments
    :param ent_coef: ``alpha`` of ``a``: float, ``"auto"`` or ``"auto_<init>"``
    :param target_entropy: target entropy of ``a`` (``"auto"``: ``-dim(a)``)
    :param z_ent_coef: ``alpha_z`` of ``z'``: float, ``"auto"`` or ``"auto_<init>"`` (official init 0.01)
    :param z_target_entropy: target entropy of ``z'`` (``"auto"``: ``-dim(z)``)
    :param add_z_entropy_to_target: subtract ``alpha_z log q(z''|.)`` in the critic target too (official:
    False)
    :param z_refresh_tau: replay refresh of ``z'`` (1: replace, 0: off)
    :param use_sde: must be False (gSDE is not implemented for S2PG; accepted only to be rejected clearly)
    :param sde_sample_freq: ignored (see ``use_sde``)
    :param privileged_critic: feed the env's privileged state to the critic
    :param target_update_interval: Polyak update every this many gradient steps
    :param stats_window_size: episodes in the rollout statistics
    :param tensorboard_log: TensorBoard folder
    :param policy_kwargs: :class:`S2PGSACPolicy` arguments
    :param verbose: verbosity
    :param seed: seed
    :param device: torch device
    :param _init_setup_model: build the networks
    """

    default_log_interval = 4  # SB3's off-policy default

    policy_aliases: ClassVar[dict[str, type[BasePolicy]]] = {"MlpPolicy": S2PGSACPolicy}

    def __init__(
        self,
        policy: str | type[S2PGSACPolicy],
        env: GymEnv | str | None,
        z_dim: int | None = None,
        learning_rate: float | Schedule = 3e-4,
        buffer_size: int = 1_000_000,
        learning_starts: int = 100,
        batch_size: int = 256,
        tau: float = 0.005,
        gamma: float = 0.99,
        train_freq: int | tuple[int, str] = 1,
        gradient_steps: int = 1,
        action_noise: ActionNoise | None = None,
        replay_buffer_class: type | None = None,
        replay_buffer_kwargs: dict[str, Any] | None = None,
        ent_coef: str | float = "auto",
        target_entropy: str | float = "auto",
        z_ent_coef: str | float = "auto_0.01",
        z_target_entropy: str | float = "auto",
        add_z_entropy_to_target: bool = False,
        z_refresh_tau: float = 1.0,
        privileged_critic: bool = False,
        use_sde: bool = False,
        sde_sample_freq: int = -1,
        target_update_interval: int = 1,
        stats_window_size: int = 100,
        tensorboard_log: str | None = None,
        policy_kwargs: dict[str, Any] | None = None,
        verbose: int = 0,
        seed: int | None = None,
        device: th.device | str = "auto",
        _init_setup_model: bool = True,
    ) -> None:
        reject_sde(use_sde)
        env = self._init_stateful(env, z_dim, privileged_critic, verbose)
        self._init_off_policy(replay_buffer_class, z_refresh_tau)
        _temperature(z_ent_coef, "z_ent_coef", th.device("cpu"))  # validate early
        if isinstance(ent_coef, str):  # SB3 parses it later with a bare float() error
            _temperature(ent_coef, "ent_coef", th.device("cpu"))
        self.z_ent_coef = z_ent_coef
        self.z_target_entropy = z_target_entropy
        self.add_z_entropy_to_target = bool(add_z_entropy_to_target)
        super().__init__(
            self._resolve_policy(policy),  # type: ignore[arg-type]
            env,  # type: ignore[arg-type]
            learning_rate=learning_rate,
            buffer_size=buffer_size,
            learning_starts=learning_starts,
            batch_size=batch_size,
            tau=tau,
            gamma=gamma,
            train_freq=train_freq,
            gradient_steps=gradient_steps,
            action_noise=action_noise,
            replay_buffer_class=replay_buffer_class,
            replay_buffer_kwargs=replay_buffer_kwargs,
            ent_coef=ent_coef,
            target_update_interval=target_update_interval,
            target_entropy=target_entropy,
            stats_window_size=stats_window_size,
            tensorboard_log=tensorboard_log,
            policy_kwargs=policy_kwargs,
            verbose=verbose,
            seed=seed,
            device=device,
            _init_setup_model=False,
        )
        if _init_setup_model:
            self._setup_model()

    def _setup_model(self) -> None:
        layout = self.action_layout
        if self.target_entropy == "auto":
            self.target_entropy = -float(layout.action_dim)
        if self.z_target_entropy == "auto":
            self.z_target_entropy = -float(self.z_dim)
        super()._setup_model()
        self.target_entropy = float(self.target_entropy)
        self.log_z_ent_coef, self._z_ent_coef_learned = _temperature(
            self.z_ent_coef, "z_ent_coef", self.device
        )
        self.z_ent_coef_optimizer = None
        if self._z_ent_coef_learned and self.ent_coef_optimizer is not None:
            # one Adam over both temperatures: Adam is elementwise, so this equals the official two optimizers
            self.ent_coef_optimizer.add_param_group({"params": [self.log_z_ent_coef]})
        elif self._z_ent_coef_learned:
            self.z_ent_coef_optimizer = th.optim.Adam([self.log_z_ent_coef], lr=self.lr_schedule(1))

    def _get_torch_save_params(self) -> tuple[list[str], list[str]]:
        state_dicts, variables = super()._get_torch_save_params()
        variables = [*variables, "log_z_ent_coef"]
        if self.z_ent_coef_optimizer is not None:
            state_dicts = [*state_dicts, "z_ent_coef_optimizer"]
        return state_dicts, variables

    def _temperature_step(self, log_prob_a: th.Tensor, log_prob_z: th.Tensor, log: StepLog) -> None:
        """One guarded step on ``-log alpha (log pi^a + H_a) - log alpha_z (log q + H_z)`` over the learned
        temperatures (a non-finite loss or gradient leaves them and their optimizer untouched).

        :param log_prob_a: ``log pi^a(a|.)`` of the actor-loss sample
        :param log_prob_z: ``log q(z'|.)`` of the actor-loss sample
        :param log: the step record (skips are counted in ``train/nonfinite_skips``)
        """
        terms = []
        if self.ent_coef_optimizer is not None:
            terms.append((self.log_ent_coef, log_prob_a, self.target_entropy))
        if self._z_ent_coef_learned:
            terms.append((self.log_z_ent_coef, log_prob_z, float(self.z_target_entropy)))
        optimizer = self.ent_coef_optimizer or self.z_ent_coef_optimizer
        if optimizer is None:
            return

        def loss_fn() -> th.Tensor:
            return sum(
                -(log_coef * (log_prob + target).detach()).mean() for log_coef, log_prob, target in terms
            )  # type: ignore[return-value]

        log.add(guarded_optimizer_step(optimizer, [log_coef for log_coef, _, _ in terms], loss_fn))

    def _critic_update(
        self,
        data: DictReplayBufferSamples,
        alpha: th.Tensor,
        alpha_z: th.Tensor,
        gradient_step: int,
        log: StepLog,
    ) -> None:
        """Guarded critic step on ``y = r + gamma (1 - d) [min_k Q'_k(s', a'', z'') - alpha log pi^a(a''|.)]``,
        then the Polyak update of the target (only after an accepted step).

        :param data: the sampled transitions
        :param alpha: temperature of ``a``
        :param alpha_z: temperature of ``z'`` (used only with ``add_z_entropy_to_target``)
        :param gradient_step: index of this gradient step in ``train()``
        :param log: the critic's step record
        """
        with th.no_grad():
            next_joint, next_logp_a, next_logp_z, _ = self.actor.action_log_prob(data.next_observations)
            next_q = th.min(
                th.cat(self.critic_target(data.next_observations, next_joint), dim=1), dim=1, keepdim=True
            ).values
            next_q = next_q - alpha * next_logp_a.reshape(-1, 1)
            if self.add_z_entropy_to_target:
                next_q = next_q - alpha_z * next_logp_z.reshape(-1, 1)
            target_q = data.rewards + (1 - data.dones) * self.gamma * next_q
        if self._critic_step(data, target_q, log) and gradient_step % self.target_update_interval == 0:
            polyak_update(self.critic.parameters(), self.critic_target.parameters(), self.tau)
            polyak_update(self.batch_norm_stats, self.batch_norm_stats_target, 1.0)

    def _actor_step(
        self, data: DictReplayBufferSamples, alpha: th.Tensor, alpha_z: th.Tensor
    ) -> tuple[StepResult, dict[str, th.Tensor]]:
        """One guarded actor step on ``E[alpha log pi^a + alpha_z log q - min_k Q_k(s, z, a, z', a_prev)]``
        (reference B.4).

        :param data: the replay minibatch
        :param alpha: the action temperature
        :param alpha_z: the internal-state temperature
        :return: the step's record and the sample it drew (``joint``, ``logp_a``, ``logp_z``, ``sigma_z``)
        """
        sample: dict[str, th.Tensor] = {}

        def actor_loss_fn() -> th.Tensor:
            joint, log_prob_a, log_prob_z, sigma_z = self.actor.action_log_prob(data.observations)
            sample.update(
                joint=joint.detach(),
                logp_a=log_prob_a.detach(),
                logp_z=log_prob_z.detach(),
                sigma_z=sigma_z.detach(),
            )
            q_pi = th.min(th.cat(self.critic(data.observations, joint), dim=1), dim=1).values
            return (alpha * log_prob_a + alpha_z * log_prob_z - q_pi).mean()

        result = guarded_optimizer_step(self.actor.optimizer, list(self.actor.parameters()), actor_loss_fn)
        return result, sample

    def train(self, gradient_steps: int, batch_size: int = 64) -> None:
        """Per gradient step, on one replay minibatch: a guarded actor step; if it was taken, the
        temperatures' step; the critic's step, with the target's Polyak update after an accepted one (every
        ``target_update_interval`` steps); and, if the actor step was taken, the refresh of the minibatch's
        ``z'`` with the actor's sample. Then the logs.

        :param gradient_steps: the number of gradient steps
        :param batch_size: the replay minibatch size
        """
        self.policy.set_training_mode(True)
        optimizers = [self.actor.optimizer, self.critic.optimizer]
        optimizers += [o for o in (self.ent_coef_optimizer, self.z_ent_coef_optimizer) if o is not None]
        self._update_learning_rate(optimizers)
        actor_log, critic_log, temperature_log = StepLog(), StepLog(), StepLog()
        refresh_skips = 0  # refreshes refused because z' was not finite
        stats: list[th.Tensor] = []  # per step: alpha, alpha_z, entropy of a, entropy of z', sigma_z
        z_batches = []
        for gradient_step in range(gradient_steps):
            data = self.replay_buffer.sample(batch_size)
            log_alpha = (
                self.log_ent_coef if self.ent_coef_optimizer is not None else th.log(self.ent_coef_tensor)
            )
            alpha, alpha_z = log_alpha.detach().exp(), self.log_z_ent_coef.detach().exp()
            actor_result, sample = self._actor_step(data, alpha, alpha_z)
            actor_log.add(actor_result)
            if actor_result.accepted:  # the two temperatures, each against its own target entropy
                self._temperature_step(sample["logp_a"], sample["logp_z"], temperature_log)
            self._critic_update(data, alpha, alpha_z, gradient_step, critic_log)
            if not actor_result.accepted:
                continue
            # replay refresh of z' with the current kernel's sample (reference B.3)
            refresh_skips += not self.replay_buffer.refresh(
                sample["joint"][:, -self.z_dim :], self.z_refresh_tau
            )
            stats.append(
                th.stack(
                    [
                        alpha.squeeze(),
                        alpha_z.squeeze(),
                        -sample["logp_a"].mean(),
                        -sample["logp_z"].mean(),
                        sample["sigma_z"].mean(),
                    ]
                )
            )
            z_batches.append(data.observations["z"])
        self._n_updates += gradient_steps
        z = th.cat(z_batches) if z_batches else th.zeros(1, self.z_dim)
        means = th.stack(stats).mean(0).tolist() if stats else [float("nan")] * 5  # one sync per train()
        extra = {"train/ent_coef": [means[0]], "train/z_ent_coef": [means[1]], "train/entropy_a": [means[2]]}
        self._log_off_policy(
            actor_log, critic_log, z, means[3], means[4], extra, temperature_log.nonfinite + refresh_skips
        )
