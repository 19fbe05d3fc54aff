"""Numbers for generated images, judged by a dataset's reference classifier.

- class accuracy: does the classifier see the intended class (per class, mean), and the
  mean cross-entropy to the intended label;
- Frechet distance in the classifier's 128-d feature space (torchmetrics'
  FrechetInceptionDistance with the classifier as its feature extractor: not Inception FID),
  generated vs real test images, overall and per class, beside the same distance between two
  halves of the real test set (the floor);
- nearest real training image (pixel L2, images in [0, 1]) of each generated image, beside
  the same distance for real test images: a prototype or a copy?
- diversity: mean pairwise feature distance among the draws of one class; zero by
  construction for a generator without noise (one image per class).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics.image.fid import FrechetInceptionDistance

from .classifier import FEATURE_DIM, predict
from .models import NUM_CLASSES


class PrecomputedFeatures(nn.Module):
    """torchmetrics' feature extractor for features already computed by the classifier, so
    each image set passes through the classifier once, however many distances use it."""

    num_features = FEATURE_DIM

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


def frechet_distance(real: torch.Tensor, fake: torch.Tensor) -> float:
    """Frechet distance between two sets of classifier features (N x FEATURE_DIM)."""
    metric = FrechetInceptionDistance(feature=PrecomputedFeatures()).to(real.device)
    metric.update(real, real=True)
    metric.update(fake, real=False)
    return metric.compute().item()


def halves(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return order[: n // 2], order[n // 2 :]


def nearest_training_images(images: torch.Tensor, train: torch.Tensor, batch: int = 256):
    """(L2 distance, index) of the nearest training image for each image; pixels in [0, 1]."""
    flat_train = train.flatten(1).float().div(255)
    distances, indices = [], []
    for chunk in images.split(batch):
        flat = chunk.flatten(1).float().div(255)
        index = torch.cdist(flat, flat_train).argmin(dim=1)  # fast, via matmul
        distances.append((flat - flat_train[index]).norm(dim=1))  # exact for the chosen pair
        indices.append(index)
    return torch.cat(distances), torch.cat(indices)


def mean_pairwise_distance(features: torch.Tensor) -> float:
    if len(features) < 2:
        return 0.0
    d = torch.cdist(features, features, compute_mode="donot_use_mm_for_euclid_dist")  # exact 0s
    return (d.sum() / (len(features) * (len(features) - 1))).item()


@torch.no_grad()
def evaluate(
    classifier: nn.Module,
    generated: torch.Tensor,
    generated_labels: torch.Tensor,
    x_test: torch.Tensor,
    y_test: torch.Tensor,
    x_train: torch.Tensor,
    has_noise: bool,
    seed: int = 0,
) -> dict:
    """All numbers for uint8 N x C x H x W generated images of the given labels."""
    logits, fake_features = predict(classifier, generated)
    _, real_features = predict(classifier, x_test)
    correct = logits.argmax(1) == generated_labels
    cross_entropy = F.cross_entropy(logits, generated_labels, reduction="none")
    first, second = halves(len(y_test), seed)

    per_class = []
    for c in range(NUM_CLASSES):
        mine, real = generated_labels == c, y_test == c
        a, b = halves(int(real.sum()), seed + 1 + c)
        real_c = real_features[real]
        per_class.append(
            {
                "accuracy": correct[mine].float().mean().item(),
                "cross_entropy": cross_entropy[mine].mean().item(),
                "frechet_distance": frechet_distance(real_c, fake_features[mine]),
                "frechet_distance_real_halves": frechet_distance(real_c[a], real_c[b]),
                "diversity": mean_pairwise_distance(fake_features[mine]),
            }
        )

    distance, nearest = nearest_training_images(generated, x_train)
    test_distance, _ = nearest_training_images(x_test[first[: len(generated)]], x_train)
    return {
        "samples": len(generated_labels),
        "has_noise": has_noise,
        "accuracy": correct.float().mean().item(),
        "cross_entropy": cross_entropy.mean().item(),
        "frechet_distance": frechet_distance(real_features, fake_features),
        "frechet_distance_real_halves": frechet_distance(
            real_features[first], real_features[second]
        ),
        "diversity": float(np.mean([c["diversity"] for c in per_class])),
        "diversity_real": float(
            np.mean([mean_pairwise_distance(real_features[y_test == c][:200]) for c in range(NUM_CLASSES)])
        ),
        "nearest_train_distance": distance.mean().item(),
        "nearest_train_distance_real_test": test_distance.mean().item(),
        "nearest_train_index": nearest.tolist(),
        "nearest_train_distances": distance.tolist(),
        "per_class": per_class,
        "degenerate": (
            None
            if has_noise
            else "no noise input: the generator draws one image per class, so diversity is "
            "zero by construction and the generated covariance in the Frechet distance is zero"
        ),
    }
