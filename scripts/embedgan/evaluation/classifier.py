"""Reference classifiers, which judge generated images (trained by classifier_training).

Grey images (MNIST): a small CNN; colour images (CIFAR-10): a small ResNet-style CNN; the
architecture follows the data set's channels, so a data set of your own gets one too. Both expose `features` (the
penultimate layer, the space of the Frechet distance) and `forward` (class logits).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from embedgan.datasets.images import to_model_range
from embedgan.errors import UnreadableFile
from embedgan.runtime import load_tensors

FEATURE_DIM = 128


class SmallCNN(nn.Module):
    """MNIST: two conv blocks (16, 32 channels) then a 128-d feature layer."""

    def __init__(self, channels: int, size: int, num_classes: int):
        super().__init__()
        self.num_classes = num_classes

        def block(c_in, c_out):
            return [
                nn.Conv2d(c_in, c_out, 3, padding=1),
                nn.ReLU(),
                nn.Conv2d(c_out, c_out, 3, padding=1),
                nn.ReLU(),
                nn.MaxPool2d(2),
            ]

        self.body = nn.Sequential(
            *block(channels, 16),
            *block(16, 32),
            nn.Flatten(),
            nn.Linear(32 * (size // 4) ** 2, FEATURE_DIM),
            nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(FEATURE_DIM, num_classes))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class ResidualBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = (
            nn.Identity()
            if stride == 1 and c_in == c_out
            else nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class SmallResNet(nn.Module):
    """CIFAR-10: a ResNet-style stem and three stages (32, 64, 128), global average pooling."""

    def __init__(self, channels: int, size: int, num_classes: int):
        super().__init__()
        self.num_classes = num_classes
        self.body = nn.Sequential(
            nn.Conv2d(channels, 32, 3, 1, 1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            ResidualBlock(32, 32, 1),
            ResidualBlock(32, 64, 2),
            ResidualBlock(64, FEATURE_DIM, 2),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Linear(FEATURE_DIM, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


ARCHITECTURES = {1: SmallCNN, 3: SmallResNet}  # by the images' channels


def build_classifier(image_shape: tuple[int, int, int], num_classes: int) -> nn.Module:
    """The reference classifier of a data set's images, with an output per class."""
    channels, height, width = image_shape
    return ARCHITECTURES[channels](channels, height, num_classes)


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 500):
    """(logits, features) of uint8 N x C x H x W images, in eval mode."""
    model.eval()
    logits, features = [], []
    for chunk in images.split(batch_size):
        feats = model.features(to_model_range(chunk))
        features.append(feats)
        logits.append(model.head(feats))
    return torch.cat(logits), torch.cat(features)


def load_classifier(path: str, device: torch.device, dataset: str) -> nn.Module:
    """The reference classifier of `dataset` (refused where the file is another data set's)."""
    saved = load_tensors(path)
    if saved.get("dataset") != dataset:
        raise UnreadableFile(
            f"{path} is the reference classifier of {saved.get('dataset')!r}, not of {dataset!r}"
        )
    model = build_classifier(tuple(saved["image_shape"]), saved["num_classes"])
    model.load_state_dict(saved["state"])
    return model.to(device).eval()
