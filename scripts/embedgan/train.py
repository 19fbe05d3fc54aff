"""The one trainer: every experiment is settings (a config entry), not code.

The dataset lives on the training device as one uint8 tensor; batches are taken by index
from a permutation drawn on that device. Losses are summed on the device and read once per
logging interval. A checkpoint is written atomically at the end of an epoch once
`checkpoint_interval_s` has passed since the last one, and mid-epoch when SIGTERM or SIGINT
(Ctrl-C) arrives (then the run stops with an error); a rerun with the same settings resumes from it and, on the CPU,
ends with the same weights as an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from . import checkpoints
from . import data as datasets
from .capture import GraphedStep
from .errors import ConfigError, ExpectedError
from .images import nhwc_to_nchw, to_model_range, to_uint8
from .models import NUM_CLASSES, build_networks, generator_input
from .objectives import Objective, Targets, get_objective, image_prior_penalty
from .process import SPEEDUPS, applied_speedups, apply_process_switches, stop_on_signals
from .runs import made_for_run
from .runtime import atomic_path, fingerprint, make_current, save_tensors, seed_everything, write_json
from .settings import Settings

log = logging.getLogger("embedgan.train")

LOSS_POINTS = 200  # about this many points on the loss curve, whatever the run length


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


def alternating(objective: Objective, epochs: int) -> list[tuple[str, int]]:
    """Per batch a discriminator step, then a generator step (with d_steps > 1: a generator
    step after every d_steps-th discriminator step)."""
    return [("both", epochs)]


def classifier_first(objective: Objective, epochs: int) -> list[tuple[str, int]]:
    """The classifier trained for all its epochs on real images, then the generator."""
    if objective.d_sees_fakes:
        raise ConfigError(
            f"schedule 'classifier_first' needs a discriminator that never sees fakes; "
            f"objective {objective.name!r} trains it on fakes"
        )
    return [("discriminator", epochs), ("generator", epochs)]


SCHEDULES = {"alternating": alternating, "classifier_first": classifier_first}


def phases(settings: Settings) -> list[tuple[str, int]]:
    """(which networks a step updates, epochs) in order."""
    objective = get_objective(settings.objective)
    if not objective.uses_discriminator:
        return [("generator", settings.epochs)]
    if settings.schedule not in SCHEDULES:
        raise ConfigError(f"unknown schedule {settings.schedule!r}; known: {', '.join(SCHEDULES)}")
    return SCHEDULES[settings.schedule](objective, settings.epochs)


def snapshot_steps(total_steps: int, points: int) -> list[int]:
    """`points` steps from 0 (untrained) to the last, evenly spaced."""
    if points < 2:
        return [total_steps]
    return sorted({round(total_steps * i / (points - 1)) for i in range(points)})


class Trainer:
    def __init__(
        self,
        settings: Settings | dict,
        dataset: datasets.Dataset,
        device: torch.device,
        speedups: dict | None = None,
    ):
        self.settings = settings = Settings.of(settings)
        # With its index, and current: graphs are captured and replayed on the current device.
        self.device = device = make_current(device)
        self.speedups = speedups = {**SPEEDUPS, **(speedups or {})}
        on_cuda = device.type == "cuda"
        self.applied_speedups = applied_speedups(device, speedups)
        apply_process_switches(device, speedups)
        # BERT's forward is not known to be capture-safe (host syncs); text steps run eagerly.
        self.capture = (
            on_cuda and speedups["graph_capture"] and settings.conditioning == "label"
        )
        self.objective = get_objective(settings.objective)
        self.phases = phases(settings)
        kinds = {phase for phase, _ in self.phases}
        if "both" in kinds and settings.d_steps > 1:
            kinds.add("discriminator")
        self.graphed = {
            kind: GraphedStep(functools.partial(self.train_step, kind=kind), device, kind)
            for kind in sorted(kinds)
            if self.capture
        }

        keep = datasets.balanced_indices(dataset.y_train, settings.train_per_class)
        self.images = nhwc_to_nchw(dataset.x_train[keep]).to(device)  # uint8 N x C x H x W
        self.labels = torch.from_numpy(dataset.y_train[keep]).to(device)
        self.image_shape = tuple(self.images.shape[1:])
        self.classes = dataset.classes
        batch_size = settings.batch_size
        if batch_size > len(self.labels):
            raise ConfigError(
                f"batch_size {batch_size} is larger than the {len(self.labels)} training "
                f"images of {settings.dataset} (train_per_class: {settings.train_per_class})"
            )
        self.steps_per_epoch = math.ceil(len(self.labels) / batch_size)
        self.total_steps = sum(e for _, e in self.phases) * self.steps_per_epoch
        self.log_every = max(1, self.total_steps // LOSS_POINTS)
        self.snapshot_at = snapshot_steps(self.total_steps, settings.history_points)

        seed_everything(settings.seed)
        self.nets = build_networks(settings, self.image_shape, self.classes)
        for module in self.nets.modules().values():
            module.to(device).train()
        make_adam = lambda params: torch.optim.Adam(  # noqa: E731
            params,
            lr=settings.optimizer.lr,
            betas=settings.optimizer.betas,
            # CPU: the default per-tensor Adam, whose numbers the fused one does not repeat
            # exactly (foreach does, faster); CUDA: fused, one kernel for all tensors.
            foreach=None if on_cuda else True,
            fused=True if on_cuda and speedups["fused_optimizer"] else None,
            capturable=self.capture,  # step counts on the device, updated inside the graph
        )
        self.g_optimizer = make_adam(self.nets.generator_parameters())
        self.d_optimizer = (
            make_adam(self.nets.discriminator.parameters()) if self.nets.discriminator else None
        )
        self.permutation_rng = torch.Generator(device=device).manual_seed(settings.seed)
        # Which template's caption each image gets, where there are several (text conditioning).
        self.template_rng = (
            torch.Generator(device=device).manual_seed(settings.seed + 1)
            if len(settings.templates) > 1 and settings.conditioning == "text"
            else None
        )
        self.generators = [g for g in (self.permutation_rng, self.template_rng) if g is not None]
        self.all_labels = torch.arange(NUM_CLASSES, device=device)
        # Rows of the identity as one-hot targets: unlike F.one_hot, no host sync (capturable).
        self.identity = torch.eye(NUM_CLASSES, device=device)

        self.epoch = 0  # epochs finished, over all phases
        self.epoch_order: torch.Tensor | None = None  # batch order of the epoch under way
        self.batch_index = 0  # batches of epoch_order done
        self.step = 0
        self.elapsed = 0.0
        self.loss_history: list[dict] = []
        self.loss_sums: dict[str, torch.Tensor] = {}  # since the last logged row
        self.loss_counts: dict[str, int] = {}
        self.snapshots: list[np.ndarray] = []
        self.snapshot_steps: list[int] = []

    # -- one step ---------------------------------------------------------------------
    def train_step(self, real: torch.Tensor, labels: torch.Tensor, kind: str) -> dict:
        """One step updating the networks `kind` names: both (discriminator, then generator),
        discriminator or generator."""
        nets, objective = self.nets, self.objective
        update_d = kind in ("both", "discriminator")
        update_g = kind in ("both", "generator")
        fake = kl = None
        condition = labels
        if update_g or (update_d and objective.d_sees_fakes):
            with torch.set_grad_enabled(update_g):  # a discriminator step needs no graph of G
                codes = self.condition_codes(labels)
                inputs, kl = generator_input(codes, self.settings.noise_dim, augmentation=nets.augmentation)
                fake = nets.generator(inputs)
            if self.settings.conditioning == "text":
                condition = codes.detach()  # D judges (image, caption code); it trains no encoder
        targets = Targets(labels, self.identity[labels], condition)
        losses = {}
        if update_d:
            self.d_optimizer.zero_grad(set_to_none=True)
            detached = fake.detach() if objective.d_sees_fakes else None
            loss_d = objective.discriminator_loss(nets.discriminator, real, detached, targets)
            loss_d.backward()
            self.d_optimizer.step()
            losses["loss_d"] = loss_d.detach()
        if update_g:
            self.g_optimizer.zero_grad(set_to_none=True)
            with frozen(nets.discriminator):  # G's loss must not touch D
                loss_g = objective.generator_loss(nets.discriminator, fake, real, targets)
                loss_g = self.with_penalties(loss_g, fake, kl)
                loss_g.backward()
            self.g_optimizer.step()
            if nets.generator_ema is not None:
                nets.generator_ema.update(nets.generator)
            losses["loss_g"] = loss_g.detach()
        return losses

    def step_kind(self, phase: str) -> str:
        """What the next step updates: with d_steps = n, n - 1 discriminator steps come before
        each step of both (so n discriminator steps per generator step)."""
        d_steps = self.settings.d_steps
        if phase == "both" and d_steps > 1 and (self.step + 1) % d_steps:
            return "discriminator"
        return phase

    def step_batch(self, real: torch.Tensor, labels: torch.Tensor, kind: str) -> dict:
        """train_step, replayed from a CUDA graph where capture is on (full batches only)."""
        if kind not in self.graphed or len(labels) != self.settings.batch_size:
            return self.train_step(real, labels, kind)
        return self.graphed[kind](real, labels)

    def condition_codes(self, labels: torch.Tensor) -> torch.Tensor:
        """The conditioner's code of each label (each image's caption drawn from the templates,
        where there are several)."""
        if self.template_rng is None:
            return self.nets.conditioner(labels)
        templates = torch.randint(
            len(self.settings.templates), labels.shape, device=self.device, generator=self.template_rng
        )
        return self.nets.conditioner(labels, templates)

    def with_penalties(
        self, loss_g: torch.Tensor, fake: torch.Tensor, kl: torch.Tensor | None
    ) -> torch.Tensor:
        """The generator's loss plus the configured terms beyond the notebook (none by default)."""
        if kl is not None:
            loss_g = loss_g + self.settings.conditioning_augmentation.kl_weight * kl
        if self.settings.image_prior is not None:
            loss_g = loss_g + image_prior_penalty(fake, self.settings.image_prior)
        return loss_g

    # -- sampling ---------------------------------------------------------------------
    @torch.no_grad()
    def class_codes(self) -> torch.Tensor:
        """The generator's input for each class, computed in eval mode."""
        conditioner = self.nets.conditioner
        conditioner.eval()
        codes = conditioner(self.all_labels)
        conditioner.train()
        return codes

    @torch.no_grad()
    def prepare_sampler(self, batches: int = 8) -> None:
        """A moving average measures its BatchNorm statistics on its own draws (classes in
        turn, fixed noise: the same every time) before it samples."""
        ema = self.nets.generator_ema
        if ema is None:
            return
        rng = torch.Generator().manual_seed(self.settings.seed + 2)
        labels = torch.arange(self.settings.batch_size, device=self.device) % NUM_CLASSES
        codes = self.class_codes()[labels]
        ema.measure_statistics(
            [
                generator_input(codes, self.settings.noise_dim, rng, self.nets.augmentation)[0]
                for _ in range(batches)
            ]
        )

    @torch.no_grad()
    def generate_classes(self) -> np.ndarray:
        self.prepare_sampler()
        generator = self.nets.sampler
        generator.eval()
        # The same noise for every snapshot (a generator seeded alike): rows stay comparable.
        fixed = torch.Generator().manual_seed(self.settings.seed)
        codes, _ = generator_input(
            self.class_codes(), self.settings.noise_dim, fixed, self.nets.augmentation
        )
        images = generator(codes)
        generator.train()
        return to_uint8(images)

    def take_snapshot(self) -> None:
        self.snapshots.append(self.generate_classes())
        self.snapshot_steps.append(self.step)

    # -- checkpoints ------------------------------------------------------------------
    def state(self) -> dict:
        return {
            "epoch": self.epoch,
            "epoch_order": self.epoch_order,
            "batch_index": self.batch_index,
            "step": self.step,
            "elapsed": self.elapsed,
            "loss_history": self.loss_history,
            "loss_sums": self.loss_sums,
            "loss_counts": self.loss_counts,
            "snapshots": [torch.from_numpy(images) for images in self.snapshots],
            "snapshot_steps": self.snapshot_steps,
            "networks": {k: m.state_dict() for k, m in self.nets.modules().items()},
            "g_optimizer": self.g_optimizer.state_dict(),
            "d_optimizer": self.d_optimizer.state_dict() if self.d_optimizer else None,
            "rng": checkpoints.rng_state(self.device, *self.generators),
        }

    def load_state(self, state: dict) -> None:
        """Resume from a state read on the CPU: device tensors are moved to the run's device."""
        self.epoch, self.step, self.elapsed = state["epoch"], state["step"], state["elapsed"]
        order = state["epoch_order"]
        self.epoch_order = None if order is None else order.to(self.device)
        self.batch_index = state["batch_index"]
        self.loss_history = state["loss_history"]
        self.loss_sums = {key: total.to(self.device) for key, total in state["loss_sums"].items()}
        self.loss_counts = state["loss_counts"]
        self.snapshots = [images.numpy() for images in state["snapshots"]]
        self.snapshot_steps = state["snapshot_steps"]
        for name, module in self.nets.modules().items():
            module.load_state_dict(state["networks"][name])
        checkpoints.load_optimizer(self.g_optimizer, state["g_optimizer"])
        if self.d_optimizer:
            checkpoints.load_optimizer(self.d_optimizer, state["d_optimizer"])
        checkpoints.restore_rng(state["rng"], self.device, *self.generators)

    # -- the loop ---------------------------------------------------------------------
    def epoch_phase(self, epoch: int) -> str:
        for phase, epochs in self.phases:
            if epoch < epochs:
                return phase
            epoch -= epochs
        raise IndexError(epoch)

    def save_checkpoint(self, checkpoint: Path, run_identity: dict) -> None:
        now = time.perf_counter()
        self.elapsed += now - self.clock
        self.clock = now
        checkpoints.save(checkpoint, run_identity, self.state())

    def run(self, checkpoint: Path, run_identity: dict, checkpoint_interval_s: float = 0) -> None:
        saved = checkpoints.load(checkpoint, run_identity)
        if saved is not None:
            self.load_state(saved)
            log.info("resumed from %s at epoch %d, step %d", checkpoint, self.epoch, self.step)
        self.clock = time.perf_counter()
        if self.step == 0 and 0 in self.snapshot_at:
            self.take_snapshot()
        total_epochs = sum(e for _, e in self.phases)
        batch_size = self.settings.batch_size
        progress = tqdm(
            total=self.total_steps, initial=self.step, file=sys.stderr, mininterval=15, ascii=True
        )
        clock = checkpoints.SaveClock(checkpoint_interval_s)
        with stop_on_signals() as stop:
            while self.epoch < total_epochs:
                phase = self.epoch_phase(self.epoch)
                if self.epoch_order is None:
                    self.epoch_order = self.draw_epoch_order()
                batches = self.epoch_order.split(batch_size)
                while self.batch_index < len(batches):
                    self.advance(batches[self.batch_index], phase)
                    self.batch_index += 1
                    if self.step in self.snapshot_at:
                        self.take_snapshot()
                    progress.update()
                    if stop.requested:
                        self.save_checkpoint(checkpoint, run_identity)
                        raise Preempted(
                            f"{stop.signal} at step {self.step}: checkpoint saved to {checkpoint}; "
                            "rerun to resume from it"
                        )
                self.epoch_order, self.batch_index = None, 0
                self.epoch += 1
                saving = clock.due()
                if saving:
                    self.save_checkpoint(checkpoint, run_identity)
                    clock.saved()
                log.info(
                    "epoch %d/%d done, step %d%s", self.epoch, total_epochs, self.step,
                    ", checkpoint saved" if saving else "",
                )
        progress.close()

    def draw_epoch_order(self) -> torch.Tensor:
        """The batch order of a new epoch: a permutation of the training images."""
        return torch.randperm(len(self.labels), device=self.device, generator=self.permutation_rng)

    def advance(self, batch: torch.Tensor, phase: str) -> None:
        """One training step on the images at indices `batch`, its losses summed on the device."""
        real = to_model_range(self.images[batch])
        losses = self.step_batch(real, self.labels[batch], self.step_kind(phase))
        for key, value in losses.items():
            self.loss_sums[key] = self.loss_sums.get(key, 0) + value
            self.loss_counts[key] = self.loss_counts.get(key, 0) + 1
        self.step += 1
        if self.step % self.log_every == 0 or self.step == self.total_steps:
            self.record_losses()

    def record_losses(self) -> None:
        """Read the summed losses off the device (once per interval) into the history."""
        row = {"step": self.step, "epoch": self.step / self.steps_per_epoch}
        for key, total in self.loss_sums.items():
            value = total.item() / self.loss_counts[key]
            if not math.isfinite(value):
                raise TrainingError(
                    f"{key} became {value} by step {self.step} (epoch {self.epoch + 1}); "
                    "stopping rather than saving a broken model"
                )
            row[key] = value
        self.loss_history.append(row)
        self.loss_sums, self.loss_counts = {}, {}


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
) -> None:
    """Train one experiment and write its model, loss history and snapshots; a checkpoint at
    the end of an epoch once `checkpoint_interval_s` has passed since the last (0: every epoch).
    """
    dataset = datasets.load_verified(dataset_path, manifest_path)
    trainer = Trainer(settings, dataset, device, speedups)
    log.info(
        "%s: %d training images, %d steps of batch %d on %s",
        name,
        len(trainer.labels),
        trainer.total_steps,
        trainer.settings.batch_size,
        trainer.device,
    )
    for variable in ("SLURM_JOB_ID", "CUDA_VISIBLE_DEVICES"):
        log.info("%s=%s", variable, os.environ.get(variable, "(unset)"))
    run_identity = checkpoints.identity(
        fingerprint(settings, manifest_path), trainer.device, trainer.applied_speedups
    )
    trainer.run(Path(checkpoint), run_identity, checkpoint_interval_s)

    trainer.prepare_sampler()
    # Every output names the run it belongs to: a file copied from another run is refused.
    made_for = made_for_run(name, trainer.settings)
    save_tensors(
        model_out,
        {
            "run": made_for,
            "settings": settings,
            "image_shape": list(trainer.image_shape),
            "classes": list(trainer.classes),
            "class_codes": trainer.class_codes().cpu(),
            "noise_dim": trainer.settings.noise_dim,
            "networks": {
                k: {p: t.cpu() for p, t in m.state_dict().items()}
                for k, m in trainer.nets.modules().items()
            },
        },
    )
    with atomic_path(snapshots_out) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(
                handle,
                images=np.stack(trainer.snapshots),
                steps=np.array(trainer.snapshot_steps),
                run=np.array(json.dumps(made_for)),
            )
    history = {
        "run": made_for,
        "experiment": name,
        "settings": settings,
        "device": str(trainer.device),
        "device_name": (
            torch.cuda.get_device_name(trainer.device) if trainer.device.type == "cuda" else "CPU"
        ),
        "torch": torch.__version__,
        "train_images": len(trainer.labels),
        "steps": trainer.total_steps,
        "steps_per_epoch": trainer.steps_per_epoch,
        "wall_time_s": trainer.elapsed,
        "cuda_graph_steps": sorted(p for p, step in trainer.graphed.items() if step.captured),
        "graph_capture": bool(trainer.graphed),
        "loss": trainer.loss_history,
    }
    write_json(history_out, history)
    # Finished: a later rerun (e.g. after a code change) starts afresh. The clock may have left none.
    Path(checkpoint).unlink(missing_ok=True)
