"""The model file of a trained run (results/<run>/model.pt): its one layout, written by
training (embedgan.training.train) and read by sampling, the probes and the benchmarks.

It holds tensors and plain data only (read with weights_only=True), and names the run it was
written for: a model file of another run is refused where it is read.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from embedgan.config.runs import Run, check_made_for
from embedgan.errors import UnreadableFile
from embedgan.networks.run_networks import Networks
from embedgan.runtime import load_tensors, save_tensors


@dataclass
class ModelFile:
    run: dict  # the run it was written for (runs.made_for_run)
    settings: dict  # the run's training settings, as its rule's params carry them
    image_shape: tuple[int, int, int]  # C, H, W
    classes: tuple[str, ...]
    class_codes: torch.Tensor  # the conditioner's code of each class, computed in eval mode
    networks: dict[str, dict[str, torch.Tensor]]  # each network's state_dict, on the CPU


def weights_of(nets: Networks) -> dict[str, dict[str, torch.Tensor]]:
    """Every network's state_dict, on the CPU."""
    return {name: {key: t.cpu() for key, t in m.state_dict().items()} for name, m in nets.modules().items()}


def save(path: str, model: ModelFile) -> None:
    record = {f.name: getattr(model, f.name) for f in dataclasses.fields(ModelFile)}
    record.update(
        image_shape=list(model.image_shape), classes=list(model.classes), class_codes=model.class_codes.cpu()
    )
    save_tensors(path, record)


def load(path: str, run: Run | None) -> ModelFile:
    """The model file at `path`, refused (UnreadableFile) where it was written for another run
    than `run` (None: any run's, as `embedgan sample` reads the file a user names)."""
    saved = load_tensors(path)
    if run is not None:
        check_made_for(path, saved.get("run"), run)
    missing = [f.name for f in dataclasses.fields(ModelFile) if f.name not in saved]
    if missing:
        raise UnreadableFile(f"{path} is not a model file: it lacks {', '.join(missing)}")
    model = ModelFile(**{f.name: saved[f.name] for f in dataclasses.fields(ModelFile)})
    model.image_shape, model.classes = tuple(model.image_shape), tuple(model.classes)
    return model
