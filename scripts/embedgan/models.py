"""The networks, by name: conditioners, generators and discriminators (one registry of each
kind; the config schema's names are tested to agree), and the networks of a run built from its
settings.

Image shapes are (C, H, W). Generators map a conditioning vector to an image in [-1, 1]. The
notebook's discriminators (docs/experiments.md) map an image to 10 class probabilities; for the
ACGAN objective they carry a real/fake head beside their class layer; the projection
discriminator scores an image for its condition.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import torch
from torch import nn

from .kinds import SCORE_AND_CLASSES
from .objectives import get_objective
from .text import captions, load_bert

NUM_CLASSES = 10
LABEL_EMBEDDING_DIM = 100
TEXT_PROJECTION_DIM = 256


class LabelConditioner(nn.Module):
    """nn.Embedding(10, 100) indexed by the label."""

    out_dim = LABEL_EMBEDDING_DIM

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(NUM_CLASSES, self.out_dim)

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        return self.embedding(labels)


class TextConditioner(nn.Module):
    """BERT's last-layer state of the class caption, pooled (`pooling`: its [CLS] state, as the
    notebook reads it, or the mean over its tokens, as sentence encoders such as
    all-MiniLM-L6-v2 are trained), then Linear(hidden, 256); with `code_norm`, each code is
    rescaled to that norm (the noise's expected norm, so that the caption weighs as much).

    `captions`: one per class, or one per class for each of several templates (template-major:
    caption t * 10 + c is template t of class c; template 0 is the class's own caption).
    The encoder is fine-tuned with the generator (unless frozen). With BERT's dropout off (the
    default: from_pretrained leaves the model in eval mode), one caption always gives one
    code, so each distinct caption is encoded once per call and the codes are gathered by
    row: identical, value and gradient, to encoding the caption of every image. With
    `dropout`, every image's caption is encoded on its own (its own dropout mask), as the
    notebook's loop would.
    """

    out_dim = TEXT_PROJECTION_DIM

    @property
    def state_dim(self) -> int:
        return self.bert.config.hidden_size

    def __init__(
        self, bert: nn.Module, tokenizer, captions: list[str], dropout: bool = False,
        pooling: str = "cls", code_norm: float | None = None,
    ):
        super().__init__()
        self.bert = bert
        self.dropout, self.pooling, self.code_norm = dropout, pooling, code_norm
        self.projection = nn.Linear(bert.config.hidden_size, self.out_dim)
        self.tokenizer, self.captions = tokenizer, captions
        tokens = tokenizer(captions, padding=True, return_tensors="pt")
        self.register_buffer("input_ids", tokens["input_ids"], persistent=False)
        self.register_buffer("attention_mask", tokens["attention_mask"], persistent=False)
        self.frozen = not any(p.requires_grad for p in bert.parameters())
        self.frozen_states: torch.Tensor | None = None

    def train(self, mode: bool = True):
        super().train(mode)
        self.bert.train(mode and self.dropout)
        return self

    def states_of(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """BERT's last-layer state of each tokenized caption, pooled."""
        last = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return POOLINGS[self.pooling](last, attention_mask)

    def project(self, states: torch.Tensor) -> torch.Tensor:
        codes = self.projection(states)
        if self.code_norm is None:
            return codes
        return codes * (self.code_norm / codes.norm(dim=1, keepdim=True).clamp_min(1e-12))

    def codes_of(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.project(self.states_of(input_ids, attention_mask))

    def encode(self, rows: torch.Tensor) -> torch.Tensor:
        """Codes of the captions at `rows` of the tokenized class captions."""
        return self.codes_of(self.input_ids[rows], self.attention_mask[rows])

    @property
    def fixed_states(self) -> bool:
        """BERT's weights never change and it has no dropout: its states of the captions are
        computed once (per device), and only the projection trains."""
        return self.frozen and not self.bert.training

    def all_states(self) -> torch.Tensor:
        """The states of every caption, computed once where they are fixed."""
        if self.frozen_states is None or self.frozen_states.device != self.input_ids.device:
            with torch.no_grad():
                self.frozen_states = self.states_of(self.input_ids, self.attention_mask)
        return self.frozen_states

    def caption_codes(self) -> torch.Tensor:
        if self.fixed_states:
            return self.project(self.all_states())
        return self.encode(torch.arange(len(self.captions), device=self.input_ids.device))

    @torch.no_grad()
    def caption_states(self, labels: torch.Tensor, templates: torch.Tensor | None = None) -> torch.Tensor:
        """The pooled encoder states of each label's caption, without gradients: what a
        discriminator with its own projection of the captions judges with."""
        rows = labels if templates is None else templates * NUM_CLASSES + labels
        if self.fixed_states:
            return self.all_states()[rows]
        return self.states_of(self.input_ids[rows], self.attention_mask[rows])

    def encode_texts(self, texts: list[str]) -> torch.Tensor:
        """Codes of any captions (prompts, captions never seen in training)."""
        tokens = self.tokenizer(texts, padding=True, return_tensors="pt").to(self.input_ids.device)
        return self.codes_of(tokens["input_ids"], tokens["attention_mask"])

    def forward(self, labels: torch.Tensor, templates: torch.Tensor | None = None) -> torch.Tensor:
        """Codes of each label's caption (of template `templates`, else the class's own)."""
        rows = labels if templates is None else templates * NUM_CLASSES + labels
        if self.bert.training:  # dropout: a mask of its own for every image's caption
            return self.encode(rows)
        return self.caption_codes()[rows]


def cls_state(last_hidden_state: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    return last_hidden_state[:, 0]


def mean_state(last_hidden_state: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """The mean of the tokens' states, padding left out (sentence-transformers' mean pooling)."""
    mask = attention_mask.unsqueeze(-1).to(last_hidden_state.dtype)
    return (last_hidden_state * mask).sum(dim=1) / mask.sum(dim=1).clamp_min(1e-9)


POOLINGS = {"cls": cls_state, "mean": mean_state}


class ProjectionConvTranspose2d(nn.ConvTranspose2d):
    """A ConvTranspose2d (stride 1, no padding) whose 1x1 inputs are computed as one matmul.

    On a 1x1 input every output pixel is a linear map of the input vector: the layer is
    x @ W.view(C_in, C_out*k*k) plus the bias per channel. At batch size 4 PyTorch's CPU
    transposed-convolution backward takes ~10x the time of that matmul. Same parameters,
    same state_dict, same function (to float rounding); other inputs take the usual path.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__(in_channels, out_channels, kernel_size, stride=1, padding=0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] != (1, 1):
            return super().forward(x)
        out = x.flatten(1) @ self.weight.flatten(1)
        return out.view(len(x), self.out_channels, *self.kernel_size) + self.bias.view(-1, 1, 1)


class DeconvGenerator(nn.Module):
    """exp1 / exp4 / exp5: three ConvTranspose2d from a 1x1 input (8->16->32 or 7->14->28)."""

    def __init__(self, in_dim: int, image_shape: tuple[int, int, int]):
        super().__init__()
        channels, height, _ = image_shape
        self.net = nn.Sequential(
            nn.Unflatten(1, (in_dim, 1, 1)),
            ProjectionConvTranspose2d(in_dim, 256, kernel_size=height // 4),
            nn.ReLU(),
            nn.ConvTranspose2d(256, 128, 4, 2, 1),
            nn.ReLU(),
            nn.ConvTranspose2d(128, channels, 4, 2, 1),
            nn.Tanh(),
        )

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        return self.net(code)


class LinearDeconvGenerator(nn.Module):
    """exp2 / exp3: Linear to 256x4x4, then three ConvTranspose2d with BatchNorm (4->32)."""

    def __init__(self, in_dim: int, image_shape: tuple[int, int, int]):
        super().__init__()
        channels = image_shape[0]  # 32x32 (kinds.GENERATOR_SIDES)
        self.net = nn.Sequential(
            nn.Linear(in_dim, 256 * 4 * 4),
            nn.ReLU(),
            nn.Unflatten(1, (256, 4, 4)),
            nn.ConvTranspose2d(256, 128, 4, 2, 1),
            nn.BatchNorm2d(128),
            nn.ReLU(),
            nn.ConvTranspose2d(128, 64, 4, 2, 1),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.ConvTranspose2d(64, channels, 4, 2, 1),
            nn.Tanh(),
        )

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        return self.net(code)


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
    image_shape: tuple[int, int, int], hidden: tuple[int, ...], output: nn.Module
) -> nn.Sequential:
    """Flatten, then Linear -> LeakyReLU -> Dropout(0.1) per hidden width, then Linear(., 10)."""
    layers: list[nn.Module] = [nn.Flatten()]
    width = image_shape[0] * image_shape[1] * image_shape[2]
    for next_width in hidden:
        layers += [nn.Linear(width, next_width), nn.LeakyReLU(), nn.Dropout(0.1)]
        width = next_width
    return nn.Sequential(*layers, nn.Linear(width, NUM_CLASSES), Float32Output(output))


def cnn_discriminator(image_shape: tuple[int, int, int]) -> nn.Sequential:
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
        nn.Linear(512, NUM_CLASSES),
        Float32Output(nn.Softmax(dim=1)),
    )


def dcgan_start(image_shape: tuple[int, int, int], width: int) -> tuple[int, int, int]:
    """The shape a dcgan generator's first layer makes (4w x H/4 x W/4), for sides divisible by
    4 (kinds.GENERATOR_SIDES)."""
    _, height, width_px = image_shape
    return 4 * width, height // 4, width_px // 4


class DCGANGenerator(nn.Module):
    """A DCGAN-style generator (Radford et al. 2016) for the conditional GANs beyond the
    notebook: Linear to 4w x H/4 x W/4, BatchNorm and ReLU, two 4x4 stride-2 transposed
    convolutions (to 2w, then w channels) with BatchNorm and ReLU, a 3x3 convolution, tanh.
    28x28 (7 -> 14 -> 28) and 32x32 (8 -> 16 -> 32); w: the setting `width`."""

    def __init__(self, in_dim: int, image_shape: tuple[int, int, int], width: int):
        super().__init__()
        start = dcgan_start(image_shape, width)
        self.net = nn.Sequential(
            nn.Linear(in_dim, math.prod(start)),
            nn.Unflatten(1, start),
            nn.BatchNorm2d(4 * width),
            nn.ReLU(),
            nn.ConvTranspose2d(4 * width, 2 * width, 4, 2, 1),
            nn.BatchNorm2d(2 * width),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.Conv2d(width, image_shape[0], 3, 1, 1),
            nn.Tanh(),
        )

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        return self.net(code)


class ConditionalBatchNorm2d(nn.Module):
    """BatchNorm whose gain and bias are set by the condition (Miyato and Koyama 2018; BigGAN's
    shared embedding): BatchNorm without its own affine map, then (1 + gain(c)) x + bias(c),
    each a linear map of the class (or caption) code c, starting at the identity."""

    def __init__(self, channels: int, code_dim: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Linear(code_dim, channels)
        self.bias = nn.Linear(code_dim, channels)
        for layer in (self.gain, self.bias):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        gain, bias = 1 + self.gain(code), self.bias(code)
        return self.norm(x) * gain[:, :, None, None] + bias[:, :, None, None]


class ConditionalDCGANGenerator(nn.Module):
    """The DCGAN generator with the condition in its BatchNorm layers (`generator_conditioning:
    batchnorm`), as the projection cGAN's generator takes it: the noise alone is the first
    layer's input (with no noise, the code is, as in the notebook), and the code sets the gain
    and bias of every BatchNorm. It is fed [code, noise] like every generator and splits them."""

    def __init__(self, code_dim: int, noise_dim: int, image_shape: tuple[int, int, int], width: int):
        super().__init__()
        self.code_dim = code_dim
        self.start = dcgan_start(image_shape, width)
        self.linear = nn.Linear(noise_dim or code_dim, math.prod(self.start))
        self.norms = nn.ModuleList(ConditionalBatchNorm2d(c, code_dim) for c in (4 * width, 2 * width, width))
        self.ups = nn.ModuleList(
            nn.ConvTranspose2d(c, c // 2, 4, 2, 1) for c in (4 * width, 2 * width)
        )
        self.out = nn.Conv2d(width, image_shape[0], 3, 1, 1)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        code, noise = inputs[:, : self.code_dim], inputs[:, self.code_dim :]
        x = self.linear(noise if noise.shape[1] else code).view(len(inputs), *self.start)
        x = torch.relu(self.norms[0](x, code))
        for up, norm in zip(self.ups, self.norms[1:], strict=True):
            x = torch.relu(norm(up(x), code))
        return torch.tanh(self.out(x))


def dcgan_generator(in_dim: int, shape: tuple[int, int, int], settings) -> nn.Module:
    """`generator_conditioning`: input (code and noise into the first layer) or batchnorm."""
    if settings.generator_conditioning == "batchnorm":
        code_dim = in_dim - settings.noise_dim
        return ConditionalDCGANGenerator(code_dim, settings.noise_dim, shape, settings.width)
    return DCGANGenerator(in_dim, shape, settings.width)


class ProjectionDiscriminator(nn.Module):
    """The projection discriminator (Miyato and Koyama 2018) on a DCGAN-sized CNN: h, the
    sum over positions of the last features, scores linear(h) + <embed(y), h>. The condition y
    is a label (embed: nn.Embedding) or, for text, the caption's code (embed: a linear map)."""

    def __init__(self, image_shape: tuple[int, int, int], width: int, code_dim: int | None = None):
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
            nn.Embedding(NUM_CLASSES, c_in) if code_dim is None else nn.Linear(code_dim, c_in, bias=False)
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


GENERATORS = {
    "deconv": lambda in_dim, shape, settings: DeconvGenerator(in_dim, shape),
    "linear_deconv": lambda in_dim, shape, settings: LinearDeconvGenerator(in_dim, shape),
    "dcgan": dcgan_generator,
}


# Each discriminator's builder (image shape, settings, the code size of a text condition); what
# it can answer is its kind's (kinds.DISCRIMINATOR_ANSWERS).
DISCRIMINATORS = {
    "mlp_sigmoid": lambda shape, settings, code_dim: mlp_discriminator(shape, (1024, 512, 128), nn.Sigmoid()),
    "mlp_softmax": lambda shape, settings, code_dim: mlp_discriminator(shape, (512, 256), nn.Softmax(dim=1)),
    "cnn_softmax": lambda shape, settings, code_dim: cnn_discriminator(shape),
    "projection": lambda shape, settings, code_dim: ProjectionDiscriminator(shape, settings.width, code_dim),
}


class ConditioningAugmentation(nn.Module):
    """StackGAN's conditioning augmentation (Zhang et al. 2017): a code is turned into the mean
    and log-variance of a Gaussian, and the generator gets a draw mu + sigma * eps from it, so
    one class is a distribution of inputs, not a point. Linear(dim, 2 * dim), no activation
    (StackGAN puts a ReLU before the split, which keeps every sigma >= 1)."""

    def __init__(self, dim: int):
        super().__init__()
        self.linear = nn.Linear(dim, 2 * dim)

    def forward(
        self, codes: torch.Tensor, rng: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(a draw per row, KL(N(mu, sigma^2) || N(0, I)) per row, averaged over the rows)."""
        mu, log_variance = self.linear(codes).chunk(2, dim=1)
        eps = gaussian(mu.shape, mu.device, rng)
        return mu + (0.5 * log_variance).exp() * eps, kl_to_standard_normal(mu, log_variance)


def kl_to_standard_normal(mu: torch.Tensor, log_variance: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(log_variance)) || N(0, I)), summed over dimensions, mean over rows."""
    return 0.5 * (mu.square() + log_variance.exp() - 1 - log_variance).sum(dim=1).mean()


def gaussian(shape, device: torch.device, rng: torch.Generator | None = None) -> torch.Tensor:
    """Standard normal values from `rng` (drawn where it lives, then moved) or else from
    torch's global RNG on `device`."""
    if rng is None:
        return torch.randn(shape, device=device)
    return torch.randn(shape, generator=rng, device=rng.device).to(device)


def generator_input(
    codes: torch.Tensor,
    noise_dim: int,
    rng: torch.Generator | None = None,
    augmentation: ConditioningAugmentation | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """What a generator is fed, and the augmentation's KL term (None without one): the class
    codes (with conditioning augmentation, a draw around each), followed by `noise_dim` fresh
    Gaussian noise values per row where noise_dim > 0 (0: the notebook, one image per class).
    Random values come from `rng`, or else torch's global RNG on the codes' device."""
    kl = None
    if augmentation is not None:
        codes, kl = augmentation(codes, rng)
    if not noise_dim:
        return codes, kl
    return torch.cat([codes, gaussian((len(codes), noise_dim), codes.device, rng)], dim=1), kl


def label_conditioner(settings, classes: tuple[str, ...]) -> nn.Module:
    return LabelConditioner()


def text_conditioner(settings, classes: tuple[str, ...]) -> nn.Module:
    tokenizer, bert = load_bert(settings.text_encoder)
    if settings.freeze_encoder:
        bert.requires_grad_(False)
    return TextConditioner(
        bert,
        tokenizer,
        [caption for template in settings.templates for caption in captions(template, classes)],
        dropout=settings.encoder_dropout,
        pooling=settings.text_pooling,
        # The noise's expected norm: its values are standard normal.
        code_norm=math.sqrt(settings.noise_dim) if settings.scale_codes else None,
    )


CONDITIONERS = {"label": label_conditioner, "text": text_conditioner}


def build_conditioner(settings, classes: tuple[str, ...]) -> nn.Module:
    """The conditioner of a run's Settings (untrained: set the seed first; BERT pretrained)."""
    return CONDITIONERS[settings.conditioning](settings, classes)


def build_generator(settings, in_dim: int, image_shape: tuple[int, int, int]) -> nn.Module:
    """The generator of a run's Settings (checked by embedgan.rules), fed `in_dim` values per image."""
    return GENERATORS[settings.generator](in_dim, image_shape, settings)


def with_spectral_norm(module: nn.Module) -> nn.Module:
    """Every convolution, linear map and embedding of `module` spectrally normalised (Miyato et
    al. 2018): its weight divided by its largest singular value, estimated by one power
    iteration per forward pass in training mode."""
    for layer in list(module.modules()):
        if isinstance(layer, (nn.Conv2d, nn.Linear, nn.Embedding)):
            nn.utils.parametrizations.spectral_norm(layer)
    return module


def build_discriminator(
    settings, image_shape: tuple[int, int, int], code_dim: int | None = None
) -> nn.Module | None:
    """The discriminator of a run's Settings (whose rules, embedgan.rules, say it answers what
    its objective needs); with text conditioning a projection discriminator takes the caption
    code (`code_dim` values)."""
    if settings.discriminator is None:
        return None
    objective = get_objective(settings.objective)
    build = DISCRIMINATORS[settings.discriminator]
    discriminator = build(image_shape, settings, code_dim if settings.conditioning == "text" else None)
    if objective.needs == SCORE_AND_CLASSES:
        discriminator = WithRealFakeHead(discriminator)
    return with_spectral_norm(discriminator) if settings.spectral_norm else discriminator


class MovingAverage(nn.Module):
    """An exponential moving average of a network's weights (the generator's, and its
    conditioner's: the pair draws the pictures, as the strong GAN baselines sample), warmed up: after t updates its decay is
    min(decay, (1 + t) / (10 + t)), so that the untrained weights do not linger (TensorFlow's
    ExponentialMovingAverage with num_updates). Its BatchNorm statistics are its own, measured
    on its own draws before it samples (standing statistics, as in BigGAN): the live
    generator's running statistics do not fit the averaged weights."""

    def __init__(self, generator: nn.Module, decay: float):
        super().__init__()
        self.average = copy.deepcopy(generator).requires_grad_(False)
        self.decay = decay
        self.register_buffer("updates", torch.zeros(()))

    @torch.no_grad()
    def update(self, live: nn.Module) -> None:
        """One step of the average towards `live`'s trainable weights (a frozen encoder's stay
        as they are; tensors only: capturable)."""
        self.updates += 1
        decay = torch.clamp((1 + self.updates) / (10 + self.updates), max=self.decay)
        pairs = [(a, p) for a, p in zip(self.average.parameters(), live.parameters(), strict=True) if p.requires_grad]
        average = [a for a, _ in pairs]
        torch._foreach_mul_(average, decay)
        torch._foreach_add_(average, torch._foreach_mul([p for _, p in pairs], 1 - decay))

    @torch.no_grad()
    def measure_statistics(self, inputs: list[torch.Tensor]) -> None:
        """BatchNorm's running statistics as the average of its batch statistics on `inputs`."""
        norms = [m for m in self.average.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        if not norms:
            return
        momenta = [m.momentum for m in norms]
        for norm in norms:
            norm.reset_running_stats()
            norm.momentum = None  # a cumulative average over the batches
        self.average.train()
        for batch in inputs:
            self.average(batch)
        for norm, momentum in zip(norms, momenta, strict=True):
            norm.momentum = momentum


def averaged_weights(state: dict) -> dict:
    """A generator's state_dict from a MovingAverage's."""
    prefix = "average."
    return {key[len(prefix) :]: value for key, value in state.items() if key.startswith(prefix)}


@dataclass
class Networks:
    conditioner: nn.Module
    generator: nn.Module
    discriminator: nn.Module | None
    augmentation: ConditioningAugmentation | None = None
    generator_ema: MovingAverage | None = None  # of the generator's weights
    conditioner_ema: MovingAverage | None = None  # of the conditioner's, with the generator's

    def modules(self) -> dict[str, nn.Module]:
        found = {"conditioner": self.conditioner, "generator": self.generator}
        for name in ("discriminator", "augmentation", "generator_ema", "conditioner_ema"):
            if getattr(self, name) is not None:
                found[name] = getattr(self, name)
        return found

    def update_averages(self) -> None:
        """One step of the moving averages (where there are any) after a generator step."""
        if self.generator_ema is not None:
            self.generator_ema.update(self.generator)
            self.conditioner_ema.update(self.conditioner)

    def generator_parameters(self) -> list[nn.Parameter]:
        """What the generator's optimiser trains: the generator and what makes its input
        (a frozen text encoder's weights stay as pretrained)."""
        modules = [self.conditioner, self.generator, self.augmentation]
        return [p for m in modules if m is not None for p in m.parameters() if p.requires_grad]

    @property
    def sampler(self) -> nn.Module:
        """The generator that draws pictures: the moving average where there is one."""
        return self.generator if self.generator_ema is None else self.generator_ema.average

    @property
    def sampling_conditioner(self) -> nn.Module:
        """The conditioner whose codes the sampler draws from: averaged with it, where it is."""
        return self.conditioner if self.conditioner_ema is None else self.conditioner_ema.average


def build_networks(settings, image_shape: tuple[int, int, int], classes) -> Networks:
    """Build (untrained) networks; the seed must be set before for reproducible weights."""
    conditioner = build_conditioner(settings, classes)
    generator = build_generator(settings, conditioner.out_dim + settings.noise_dim, image_shape)
    # A text discriminator judges with the caption code, or with the encoder's states.
    states = settings.discriminator_condition == "states"
    judged = conditioner.state_dim if states else conditioner.out_dim
    discriminator = build_discriminator(settings, image_shape, judged)
    augmentation = (
        ConditioningAugmentation(conditioner.out_dim) if settings.conditioning_augmentation else None
    )
    if settings.g_ema is None:
        return Networks(conditioner, generator, discriminator, augmentation)
    averages = (MovingAverage(generator, settings.g_ema), MovingAverage(conditioner, settings.g_ema))
    return Networks(conditioner, generator, discriminator, augmentation, *averages)
