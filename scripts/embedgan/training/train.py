"""The one trainer: every experiment is settings (a config entry), not code.

`Trainer.train_step` is the training step (a discriminator step, then a generator step);
the rest of the class feeds it batches, draws the generation record and keeps the run's
progress (`TrainState`) for its checkpoints. The dataset lives on the training device as one
uint8 tensor; batches are taken by index from a permutation drawn on that device. Losses are
summed on the device and read once per logging interval. A checkpoint is written atomically at
the end of an epoch once `checkpoint_interval_s` has passed since the last one, and mid-epoch
when SIGTERM or SIGINT (Ctrl-C) arrives (then the run stops with an error); a rerun with the
same settings resumes from it and, on the CPU, ends with the same weights as an uninterrupted
run. `train_experiment` trains one experiment and writes its outputs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

from embedgan.config.runs import made_for_run
from embedgan.config.settings import Settings
from embedgan.datasets import data as datasets
from embedgan.datasets.images import to_model_range
from embedgan.errors import ExpectedError
from embedgan.machine import host
from embedgan.machine.devices import make_current
from embedgan.machine.process import SPEEDUPS, applied_speedups, apply_process_switches, stop_on_signals
from embedgan.networks import model_file, sampling
from embedgan.networks.run_networks import build_networks
from embedgan.runtime import fingerprint, seed_everything, write_json
from embedgan.training import checkpoints
from embedgan.training.objectives import (
    Targets,
    get_objective,
    image_prior_penalty,
    mode_seeking_term,
)
from embedgan.training.records import history_record, write_snapshots
from embedgan.training.setup import (
    build_optimizers,
    epoch_phase,
    graphed_steps,
    in_precision,
    judges_jointly,
    phases,
    place_networks,
    run_generators,
    snapshot_steps,
    step_kind,
    training_images,
    training_precision,
)

log = logging.getLogger("embedgan.training.train")

LOSS_POINTS = 200  # about this many points on the loss curve, whatever the run length
READ_LOSSES_EVERY = 16  # losses read off the device every this many rows (and each epoch)


class TrainingError(ExpectedError, RuntimeError):
    """Training went wrong in a way the message explains (a loss became NaN)."""


class Preempted(ExpectedError, RuntimeError):
    """Stopped by SIGTERM (a scheduler's notice) or SIGINT (Ctrl-C) after saving a checkpoint."""


@contextlib.contextmanager
def frozen(module: nn.Module | None):
    """No gradients for `module` in the block; restored however the block ends."""
    if module is None:
        yield
        return
    module.requires_grad_(False)
    try:
        yield
    finally:
        module.requires_grad_(True)


def condition_codes(
    conditioner: nn.Module, labels: torch.Tensor, settings: Settings, template_rng: torch.Generator | None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The conditioner's code of each label, and the template each image's caption was drawn
    from where there are several (template_rng; else None)."""
    if template_rng is None:
        return conditioner(labels), None
    templates = torch.randint(len(settings.templates), labels.shape, device=labels.device, generator=template_rng)
    return conditioner(labels, templates), templates


def with_penalties(loss_g: torch.Tensor, fake: torch.Tensor, kl: torch.Tensor | None, settings: Settings) -> torch.Tensor:
    """The generator's loss plus the configured terms beyond the notebook (none by default)."""
    if kl is not None:
        loss_g = loss_g + settings.conditioning_augmentation.kl_weight * kl
    if settings.image_prior is not None:
        loss_g = loss_g + image_prior_penalty(fake, settings.image_prior)
    return loss_g


@dataclass
class TrainState:
    """A run's progress: what its checkpoint holds beside the networks, the optimisers and the
    random-number states (each field named here, and only here)."""

    epoch: int = 0  # epochs finished, over all phases
    epoch_order: torch.Tensor | None = None  # batch order of the epoch under way
    batch_index: int = 0  # batches of epoch_order done
    step: int = 0
    elapsed: float = 0.0  # seconds in the training loop, over every attempt
    loss_history: list[dict] = field(default_factory=list)
    loss_sums: dict[str, torch.Tensor] = field(default_factory=dict)  # since the last logged row
    loss_counts: dict[str, int] = field(default_factory=dict)
    snapshots: list[torch.Tensor] = field(default_factory=list)  # the record: uint8, a row each
    snapshot_steps: list[int] = field(default_factory=list)
    curve: list[torch.Tensor] = field(default_factory=list)  # at each snapshot: N images of every class

    def add_losses(self, losses: dict[str, torch.Tensor]) -> None:
        """Sum a step's losses on the device, until the next logged row."""
        for key, value in losses.items():
            self.loss_sums[key] = self.loss_sums.get(key, 0) + value
            self.loss_counts[key] = self.loss_counts.get(key, 0) + 1

    def record_losses(self, steps_per_epoch: int) -> None:
        """Close a row of the history: the mean losses since the last row, left on the device
        until read_losses (no host sync per row)."""
        row = {"step": self.step, "epoch": self.step / steps_per_epoch}
        for key, total in self.loss_sums.items():
            row[key] = total / self.loss_counts[key]
        self.loss_history.append(row)
        self.loss_sums, self.loss_counts = {}, {}

    def unread_rows(self) -> list[dict]:
        """The history's rows whose losses are still on the device (the last ones)."""
        unread = []
        for row in reversed(self.loss_history):
            if not any(torch.is_tensor(value) for value in row.values()):
                break
            unread.append(row)
        return unread[::-1]

    def read_losses(self) -> None:
        """Read the history's rows still on the device off it, in one copy; a loss that is no
        longer finite stops the run."""
        unread = [(row, key) for row in self.unread_rows() for key, value in row.items() if torch.is_tensor(value)]
        if not unread:
            return
        values = torch.stack([row[key].float() for row, key in unread]).tolist()
        for (row, key), value in zip(unread, values, strict=True):
            if not math.isfinite(value):
                raise TrainingError(
                    f"{key} became {value} by step {row['step']} (epoch {math.ceil(row['epoch'])}); "
                    "stopping rather than saving a broken model"
                )
            row[key] = value

    @classmethod
    def from_checkpoint(cls, saved: dict, device: torch.device) -> TrainState:
        """The state in a checkpoint read on the CPU, its device tensors moved to `device`."""
        state = cls(**{f.name: saved[f.name] for f in dataclasses.fields(cls)})
        if state.epoch_order is not None:
            state.epoch_order = state.epoch_order.to(device)
        state.loss_sums = {key: total.to(device) for key, total in state.loss_sums.items()}
        return state


class Trainer:
    """One run: its networks and optimisers, the training step, and the loop around it."""

    def __init__(
        self, settings: Settings | dict, dataset: datasets.Dataset, device: torch.device,
        speedups: dict | None = None, precision: str = "fp32",
    ):
        self.settings = settings = Settings.of(settings)
        # With its index, and current: graphs are captured and replayed on the current device.
        self.device = device = make_current(device)
        self.speedups = {**SPEEDUPS, **(speedups or {})}
        self.applied_speedups = applied_speedups(device, self.speedups)
        apply_process_switches(device, self.speedups)
        self.precision = training_precision(precision, device)
        self.objective = get_objective(settings.objective)
        self.phases = phases(settings)
        self.images, self.labels = training_images(dataset, settings, device)
        self.image_shape, self.classes = tuple(self.images.shape[1:]), dataset.classes
        self.steps_per_epoch = math.ceil(len(self.labels) / settings.batch_size)
        self.total_steps = sum(e for _, e in self.phases) * self.steps_per_epoch
        self.log_every = max(1, self.total_steps // LOSS_POINTS)
        self.snapshot_at = snapshot_steps(self.total_steps, settings.history_points)

        seed_everything(settings.seed)
        self.nets = build_networks(settings, self.image_shape, self.classes)
        self.layout = place_networks(self.nets, device, self.speedups["channels_last"])
        self.joint_d = judges_jointly(self.speedups, self.objective, self.nets.discriminator)
        # A text encoder's forward is not known to be capture-safe: its steps run eagerly.
        capturable = settings.conditioning_kind.capturable
        self.capture = device.type == "cuda" and self.speedups["graph_capture"] and capturable
        self.g_optimizer, self.d_optimizer = build_optimizers(
            self.nets, settings.optimizer, device, self.speedups["fused_optimizer"], self.capture
        )
        self.graphed = graphed_steps(self.train_step, self.phases, settings.d_steps, device) if self.capture else {}
        self.permutation_rng, self.template_rng = run_generators(settings, device)
        # Rows of the identity as one-hot targets: unlike F.one_hot, no host sync (capturable).
        self.identity = torch.eye(len(self.classes), device=device)
        self.state = TrainState()

    # -- the training step ------------------------------------------------------------
    def train_step(self, real: torch.Tensor, labels: torch.Tensor, kind: str) -> dict:
        """One step updating the networks `kind` names: both (discriminator, then generator),
        discriminator or generator."""
        nets, objective = self.nets, self.objective
        generator, discriminator = (in_precision(n, self.precision, self.device) for n in (nets.generator, nets.discriminator))
        update_d, update_g = kind in ("both", "discriminator"), kind in ("both", "generator")
        fake = kl = None
        condition = labels
        if update_g or (update_d and objective.d_sees_fakes):
            with torch.set_grad_enabled(update_g):  # a discriminator step needs no graph of G
                codes, templates = condition_codes(nets.conditioner, labels, self.settings, self.template_rng)
                inputs, kl = nets.draw_inputs(codes)
                fake = generator(inputs)
            if self.settings.conditioning_kind.uses_text:  # D judges (image, caption); it trains no encoder
                condition = (
                    nets.conditioner.caption_states(labels, templates)
                    if self.settings.discriminator_condition == "states" else codes.detach()
                )
        targets = Targets(labels, self.identity[labels], condition)
        losses = {}
        if update_d:
            self.d_optimizer.zero_grad(set_to_none=True)
            detached = fake.detach() if objective.d_sees_fakes else None
            loss_d = objective.discriminator_loss(discriminator, real, detached, targets, self.joint_d)
            loss_d.backward()
            self.d_optimizer.step()
            losses["loss_d"] = loss_d.detach()
        if update_g:
            self.g_optimizer.zero_grad(set_to_none=True)
            with frozen(nets.discriminator):  # G's loss must not touch D
                loss_g = objective.generator_loss(discriminator, fake, real, targets)
                if self.settings.noise_draws == 2:
                    loss_g = self.second_draw(loss_g, generator, discriminator, codes, inputs, fake, real, targets)
                loss_g = with_penalties(loss_g, fake, kl, self.settings)
                loss_g.backward()
            self.g_optimizer.step()
            nets.update_averages()
            losses["loss_g"] = loss_g.detach()
        if kl is not None and update_g:
            losses["kl"] = kl.detach()  # nats per dimension of the code: what the KL weight reached
        return losses

    def second_draw(self, loss_g, generator, discriminator, codes, inputs, fake, real, targets) -> torch.Tensor:
        """A second draw of the same codes with other noise: the generator's loss is the mean of
        the two draws' (the same generator batch with or without mode seeking), plus, with mode
        seeking (MSGAN, Mao et al. 2019), mode_seeking times the inverse of their image
        distance per noise distance."""
        second, _ = self.nets.draw_inputs(codes)
        fake_2 = generator(second)
        loss_2 = self.objective.generator_loss(discriminator, fake_2, real, targets)
        loss_g = (loss_g + loss_2) / 2
        if not self.settings.mode_seeking:
            return loss_g
        # The random part of the input: the noise, and with conditioning augmentation the drawn
        # code too (both differ between the draws; without it the codes are equal and left out).
        random_1, random_2 = inputs, second
        if self.nets.augmentation is None:
            random_1, random_2 = (self.nets.input_layout.split(drawn)[1] for drawn in (inputs, second))
        term = mode_seeking_term(fake, fake_2, random_1, random_2)
        return loss_g + self.settings.mode_seeking * term

    def step_batch(self, real: torch.Tensor, labels: torch.Tensor, kind: str) -> dict:
        """train_step, replayed from a CUDA graph where capture is on (full batches only; eager
        after a failed capture)."""
        graphed = self.graphed.get(kind)
        if graphed is None or graphed.failed or len(labels) != self.settings.batch_size:
            return self.train_step(real, labels, kind)
        return self.graphed[kind](real, labels)

    # -- sampling ---------------------------------------------------------------------
    def take_snapshot(self) -> None:
        """A row of the generation record (one image per class) and, where the run keeps a
        curve, `curve_samples` images of every class, drawn at the current step."""
        sampling.prepare_sampler(self.nets, self.settings)
        row = sampling.draw_every_class(self.nets, 1, self.settings.seed)[:, 0]
        self.state.snapshots.append(torch.from_numpy(row))
        self.state.snapshot_steps.append(self.state.step)
        if self.settings.curve_samples:
            curve = sampling.draw_every_class(self.nets, self.settings.curve_samples, self.settings.seed + 3)
            self.state.curve.append(torch.from_numpy(curve))

    # -- the loop ---------------------------------------------------------------------
    def run(self, checkpoint: Path, run_identity: dict, checkpoint_interval_s: float = 0) -> None:
        saved = checkpoints.load(checkpoint, run_identity)
        if saved is not None:
            self.resume(saved)
            log.info("resumed from %s at epoch %d, step %d", checkpoint, self.state.epoch, self.state.step)
        state, self.clock = self.state, time.perf_counter()
        if state.step == 0 and 0 in self.snapshot_at:
            self.take_snapshot()
        total_epochs = sum(e for _, e in self.phases)
        progress = tqdm(total=self.total_steps, initial=state.step, file=sys.stderr, mininterval=15, ascii=True)
        clock = checkpoints.SaveClock(checkpoint_interval_s)
        with stop_on_signals() as stop:
            while state.epoch < total_epochs:
                phase = epoch_phase(self.phases, state.epoch)
                if state.epoch_order is None:
                    state.epoch_order = self.draw_epoch_order()
                batches = state.epoch_order.split(self.settings.batch_size)
                while state.batch_index < len(batches):
                    self.advance(batches[state.batch_index], phase)
                    state.batch_index += 1
                    if state.step in self.snapshot_at:
                        self.take_snapshot()
                    progress.update()
                    if stop.requested:
                        self.save_checkpoint(checkpoint, run_identity)
                        raise Preempted(
                            f"{stop.signal} at step {state.step}: checkpoint saved to {checkpoint}; "
                            "rerun to resume from it"
                        )
                state.epoch_order, state.batch_index = None, 0
                state.epoch += 1
                state.read_losses()
                saving = clock.due()
                if saving:
                    self.save_checkpoint(checkpoint, run_identity)
                    clock.saved()
                note = ", checkpoint saved" if saving else ""
                log.info("epoch %d/%d done, step %d%s", state.epoch, total_epochs, state.step, note)
        self.count_time()
        progress.close()

    def advance(self, batch: torch.Tensor, phase: str) -> None:
        """One training step on the images at indices `batch`, its losses summed on the device."""
        real = to_model_range(self.images[batch]).contiguous(memory_format=self.layout)
        state = self.state
        kind = step_kind(phase, state.step, self.settings.d_steps)
        state.add_losses(self.step_batch(real, self.labels[batch], kind))
        state.step += 1
        if state.step % self.log_every == 0 or state.step == self.total_steps:
            state.record_losses(self.steps_per_epoch)
            if len(state.unread_rows()) >= READ_LOSSES_EVERY:
                state.read_losses()

    def draw_epoch_order(self) -> torch.Tensor:
        """The batch order of a new epoch: a permutation of the training images."""
        return torch.randperm(len(self.labels), device=self.device, generator=self.permutation_rng)

    # -- checkpoints ------------------------------------------------------------------
    @property
    def random_generators(self) -> list[torch.Generator]:
        return [g for g in (self.permutation_rng, self.template_rng) if g is not None]

    def count_time(self) -> None:
        """Add the time since the clock was last read to the run's training time."""
        now = time.perf_counter()
        self.state.elapsed += now - self.clock
        self.clock = now

    def save_checkpoint(self, checkpoint: Path, run_identity: dict) -> None:
        self.state.read_losses()
        self.count_time()
        checkpoints.save(checkpoint, run_identity, self.checkpoint_state())

    def checkpoint_state(self) -> dict:
        return {
            **vars(self.state),
            "networks": {k: m.state_dict() for k, m in self.nets.modules().items()},
            "g_optimizer": self.g_optimizer.state_dict(),
            "d_optimizer": self.d_optimizer.state_dict() if self.d_optimizer else None,
            "rng": checkpoints.rng_state(self.device, *self.random_generators),
        }

    def resume(self, saved: dict) -> None:
        """Go on from a checkpoint's state, read on the CPU."""
        self.state = TrainState.from_checkpoint(saved, self.device)
        for name, module in self.nets.modules().items():
            module.load_state_dict(saved["networks"][name])
        checkpoints.load_optimizer(self.g_optimizer, saved["g_optimizer"])
        if self.d_optimizer:
            checkpoints.load_optimizer(self.d_optimizer, saved["d_optimizer"])
        checkpoints.restore_rng(saved["rng"], self.device, *self.random_generators)


def train_experiment(
    name: str,
    settings: dict,
    dataset_path: str,
    manifest_path: str,
    device: torch.device,
    checkpoint: str,
    model_out: str,
    history_out: str,
    snapshots_out: str,
    speedups: dict | None = None,
    checkpoint_interval_s: float = 0,
    precision: str = "fp32",
) -> None:
    """Train one experiment and write its model, loss history and snapshots; a checkpoint at
    the end of an epoch once `checkpoint_interval_s` has passed since the last (0: every epoch).
    """
    dataset = datasets.load_verified(dataset_path, manifest_path)
    trainer = Trainer(settings, dataset, device, speedups, precision)
    log.info(
        "%s: %d training images, %d steps of batch %d on %s (%s), %s",
        name, len(trainer.labels), trainer.total_steps, trainer.settings.batch_size, trainer.device,
        host.host_kind(trainer.device), trainer.precision,
    )
    for variable in ("SLURM_JOB_ID", "CUDA_VISIBLE_DEVICES"):
        log.info("%s=%s", variable, os.environ.get(variable, "(unset)"))
    run_identity = checkpoints.identity(
        fingerprint(settings, manifest_path), trainer.device, trainer.applied_speedups, trainer.precision
    )
    trainer.run(Path(checkpoint), run_identity, checkpoint_interval_s)

    sampling.prepare_sampler(trainer.nets, trainer.settings)
    # Every output names the run it belongs to: a file copied from another run is refused.
    made_for = made_for_run(name, trainer.settings)
    model_file.save(
        model_out,
        model_file.ModelFile(
            made_for, settings, trainer.image_shape, trainer.classes, sampling.class_codes(trainer.nets),
            model_file.weights_of(trainer.nets),
        ),
    )
    write_snapshots(snapshots_out, trainer.state, made_for)
    write_json(history_out, history_record(name, settings, trainer, made_for))
    # Finished: a later rerun (e.g. after a code change) starts afresh. The clock may have left none.
    Path(checkpoint).unlink(missing_ok=True)
