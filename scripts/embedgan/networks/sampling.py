"""Draw images: from the networks of a run in training (its generation record, its model file's
class codes), and from a trained model file (written by train.train_experiment)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from embedgan.config.runs import Run
from embedgan.config.settings import Settings
from embedgan.datasets.images import to_uint8
from embedgan.networks import model_file
from embedgan.networks.generators import build_generator
from embedgan.networks.inputs import ConditioningAugmentation, InputLayout
from embedgan.networks.run_networks import Networks, averaged_weights


def device_of(module: nn.Module) -> torch.device:
    return next(module.parameters()).device


@torch.no_grad()
def class_codes(nets: Networks) -> torch.Tensor:
    """The code of each class that the sampler draws from (the averaged conditioner's, where
    the run keeps a moving average), computed in eval mode."""
    conditioner = nets.sampling_conditioner
    conditioner.eval()
    codes = conditioner(torch.arange(conditioner.num_classes, device=device_of(nets.generator)))
    conditioner.train()
    return codes


@torch.no_grad()
def prepare_sampler(nets: Networks, settings: Settings, batches: int = 8) -> None:
    """A moving average measures its BatchNorm statistics on its own draws (classes in turn,
    fixed noise: the same every time) before it samples."""
    ema = nets.generator_ema
    if ema is None:
        return
    rng = torch.Generator().manual_seed(settings.seed + 2)
    every_class = class_codes(nets)
    codes = every_class[torch.arange(settings.batch_size, device=device_of(nets.generator)) % len(every_class)]
    ema.measure_statistics(
        [nets.draw_inputs(codes, rng)[0] for _ in range(batches)]
    )


@torch.no_grad()
def draw_every_class(nets: Networks, per_class: int, seed: int) -> np.ndarray:
    """uint8 images, classes x per_class x C x H x W, drawn in training by the sampler (the
    moving average where there is one: prepare_sampler first) from noise seeded by `seed`, the
    same every time, so that draws at other steps stay comparable (the generation record, the
    run's curve)."""
    generator = nets.sampler
    generator.eval()
    codes = class_codes(nets).repeat_interleave(per_class, dim=0)
    inputs, _ = nets.draw_inputs(codes, torch.Generator().manual_seed(seed))
    images = to_uint8(generator(inputs))
    generator.train()
    return images.reshape(-1, per_class, *images.shape[1:])


@dataclass
class TrainedGenerator:
    """A trained generator in eval mode with what makes its input."""

    generator: nn.Module
    input_layout: InputLayout  # of the generator's input
    class_codes: torch.Tensor  # the conditioner's code of each class
    augmentation: ConditioningAugmentation | None
    settings: Settings
    classes: tuple[str, ...]
    model: model_file.ModelFile  # the whole model file (the conditioner's weights, for text prompts)

    @torch.no_grad()
    def images(self, codes: torch.Tensor, rng: torch.Generator | None = None) -> np.ndarray:
        """uint8 images, one per row of `codes`, with noise or augmentation drawn from `rng`."""
        inputs, _ = self.input_layout.draw(codes, self.augmentation, rng)  # as in training
        return to_uint8(self.generator(inputs))


def load_generator(model_path: str, device: torch.device, run: Run | None) -> TrainedGenerator:
    """The generator of `run` from its model file (refused where the file is another run's;
    None: the file's own run)."""
    model = model_file.load(model_path, run)
    settings = Settings.of(model.settings)
    codes = model.class_codes
    layout = InputLayout.of(settings, codes.shape[1])
    generator = build_generator(settings, layout, model.image_shape)
    # The moving average of the generator's weights draws, where the run kept one.
    networks = model.networks
    generator.load_state_dict(
        averaged_weights(networks["generator_ema"]) if "generator_ema" in networks else networks["generator"]
    )
    augmentation = None
    if settings.conditioning_augmentation is not None:
        augmentation = ConditioningAugmentation(codes.shape[1])
        augmentation.load_state_dict(networks["augmentation"])
        augmentation = augmentation.to(device).eval()
    return TrainedGenerator(
        generator.to(device).eval(), layout, codes.to(device), augmentation, settings, model.classes, model
    )


def draw(model_path: str, per_class: int, device: torch.device, run: Run, seed: int = 0):
    """uint8 images per_class x classes x C x H x W, the class names, and whether the
    generator draws many images per class (noise or conditioning augmentation).

    Otherwise the generator is deterministic: its `per_class` draws of a class are one
    image, repeated (and computed once).
    """
    trained = load_generator(model_path, device, run)
    if not trained.settings.stochastic:
        images = trained.images(trained.class_codes)
        return np.repeat(images[None], per_class, axis=0), trained.classes, False
    rng = torch.Generator().manual_seed(seed)
    rows = [trained.images(trained.class_codes, rng) for _ in range(per_class)]
    return np.stack(rows), trained.classes, True
