"""Discriminators, by name: the notebook's (docs/experiments.md) map an image to class
probabilities, one per class of the data set (for the ACGAN objective with a real/fake head beside
their class layer); the projection discriminator scores an image for its condition. What each
can answer is its kind's (embedgan.config.kinds.DISCRIMINATOR_ANSWERS)."""

from __future__ import annotations

import torch
from torch import nn

from embedgan.config.kinds import OBJECTIVES, SCORE_AND_CLASSES


class Float32Output(nn.Module):
    """A network's output activation (sigmoid, softmax) computed in float32, outside autocast:
    in bfloat16 a probability rounds to 1 from a logit of about 6 on, and the BCE that reads it
    loses its gradient. No parameters: the network's weights are named as without it."""

    def __init__(self, activation: nn.Module):
        super().__init__()
        self.activation = activation

    def forward(self, logits: torch.Tensor) -> torch.Tensor:
        with torch.autocast(logits.device.type, enabled=False):
            return self.activation(logits.float())


def mlp_discriminator(
    image_shape: tuple[int, int, int], hidden: tuple[int, ...], output: nn.Module, num_classes: int
) -> nn.Sequential:
    """Flatten, then Linear -> LeakyReLU -> Dropout(0.1) per hidden width, then Linear(., classes)."""
    layers: list[nn.Module] = [nn.Flatten()]
    width = image_shape[0] * image_shape[1] * image_shape[2]
    for next_width in hidden:
        layers += [nn.Linear(width, next_width), nn.LeakyReLU(), nn.Dropout(0.1)]
        width = next_width
    return nn.Sequential(*layers, nn.Linear(width, num_classes), Float32Output(output))


def cnn_discriminator(image_shape: tuple[int, int, int], num_classes: int) -> nn.Sequential:
    """exp3: three Conv-BN-ReLU-MaxPool blocks (3->12->48->192), then an MLP with softmax."""
    channels, height, width = image_shape
    layers: list[nn.Module] = []
    for c_in, c_out in ((channels, 12), (12, 48), (48, 192)):
        layers += [
            nn.Conv2d(c_in, c_out, 3, padding=1),
            nn.BatchNorm2d(c_out),
            nn.ReLU(),
            nn.MaxPool2d(2),
        ]
    features = 192 * (height // 8) * (width // 8)
    return nn.Sequential(
        *layers,
        nn.Flatten(),
        nn.Linear(features, 1024),
        nn.ReLU(),
        nn.Dropout(0.4),
        nn.Linear(1024, 512),
        nn.ReLU(),
        nn.Dropout(0.4),
        nn.Linear(512, num_classes),
        Float32Output(nn.Softmax(dim=1)),
    )


class ProjectionDiscriminator(nn.Module):
    """The projection discriminator (Miyato and Koyama 2018) on a DCGAN-sized CNN: h, the
    sum over positions of the last features, scores linear(h) + <embed(y), h>. The condition y
    is a label (embed: nn.Embedding) or, for text, the caption's code (embed: a linear map)."""

    def __init__(self, image_shape: tuple[int, int, int], width: int, num_classes: int, code_dim: int | None = None):
        super().__init__()
        channels = image_shape[0]
        layers: list[nn.Module] = []
        c_in = channels
        for c_out in (width, 2 * width):  # 3x3 then 4x4 stride 2 at each scale: H -> H/4
            layers += [nn.Conv2d(c_in, c_out, 3, 1, 1), nn.LeakyReLU(0.1)]
            layers += [nn.Conv2d(c_out, 2 * c_out, 4, 2, 1), nn.LeakyReLU(0.1)]
            c_in = 2 * c_out
        layers += [nn.Conv2d(c_in, c_in, 3, 1, 1), nn.LeakyReLU(0.1)]
        self.body = nn.Sequential(*layers)
        self.linear = nn.Linear(c_in, 1)
        self.embed = (
            nn.Embedding(num_classes, c_in) if code_dim is None else nn.Linear(code_dim, c_in, bias=False)
        )

    def forward(self, images: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        h = self.body(images).sum(dim=(2, 3))
        return self.linear(h).squeeze(1) + (self.embed(condition) * h).sum(dim=1)


class WithRealFakeHead(nn.Module):
    """A notebook discriminator (layers ending in Linear(., 10) and its softmax or sigmoid) for
    ACGAN: the same layers up to the class layer, whose logits it returns, with a real/fake
    logit from a new Linear(., 1) on the same features beside them."""

    def __init__(self, net: nn.Sequential):
        super().__init__()
        self.net = net
        self.real_fake = nn.Linear(net[-2].in_features, 1)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.net[:-2](images)
        return self.real_fake(features).squeeze(1), self.net[-2](features)


# Each discriminator's builder (image shape, settings, the data set's class count, the code size
# of a text condition); what it can answer is its kind's (kinds.DISCRIMINATOR_ANSWERS).
DISCRIMINATORS = {
    "mlp_sigmoid": lambda shape, settings, classes, code_dim: mlp_discriminator(shape, (1024, 512, 128), nn.Sigmoid(), classes),
    "mlp_softmax": lambda shape, settings, classes, code_dim: mlp_discriminator(shape, (512, 256), nn.Softmax(dim=1), classes),
    "cnn_softmax": lambda shape, settings, classes, code_dim: cnn_discriminator(shape, classes),
    "projection": lambda shape, settings, classes, code_dim: ProjectionDiscriminator(shape, settings.width, classes, code_dim),
}


def with_spectral_norm(module: nn.Module) -> nn.Module:
    """Every convolution, linear map and embedding of `module` spectrally normalised (Miyato et
    al. 2018): its weight divided by its largest singular value, estimated by one power
    iteration per forward pass in training mode."""
    for layer in list(module.modules()):
        if isinstance(layer, (nn.Conv2d, nn.Linear, nn.Embedding)):
            nn.utils.parametrizations.spectral_norm(layer)
    return module


def build_discriminator(
    settings, image_shape: tuple[int, int, int], num_classes: int, code_dim: int | None = None
) -> nn.Module | None:
    """The discriminator of a run's Settings (whose rules, embedgan.config.rules, say it answers
    what its objective needs), judging the `num_classes` classes of its data set; with text
    conditioning a projection discriminator takes the caption code (`code_dim` values)."""
    if settings.discriminator is None:
        return None
    build = DISCRIMINATORS[settings.discriminator]
    discriminator = build(image_shape, settings, num_classes, code_dim if settings.conditioning_kind.uses_text else None)
    if OBJECTIVES[settings.objective].needs == SCORE_AND_CLASSES:
        discriminator = WithRealFakeHead(discriminator)
    return with_spectral_norm(discriminator) if settings.spectral_norm else discriminator
