"""Numbers for generated images, judged by a dataset's reference classifier.

- class accuracy: does the classifier see the intended class (per class, mean), and the
  mean cross-entropy to the intended label;
- Frechet distance in the classifier's 128-d feature space (the FID formula on the
  reference classifier's features: a classifier-feature distance, not Inception FID),
  generated images vs a reference set (a fixed half of each class's test images), overall and
  per class. The distance is biased by sample size, so it is shown beside what a perfect
  generator scores on the same work: real test images of exactly the generated set's size per
  class, drawn from the other half, against the same reference (mean and spread over draws).
  Per class, beside the best any single point can reach (the distance of the class's mean
  feature: the trace of its covariance), since without noise a class's draws are one point;
- nearest real training image (pixel L2, images in [0, 1]) of each generated image, beside
  the same distance for real test images: a prototype or a copy?
- diversity: mean pairwise feature distance among the draws of one class; zero by
  construction for a generator without noise (one image per class);
- precision, recall (Kynkaanniemi et al. 2019), density and coverage (Naeem et al. 2020) in
  the classifier's features, k = 5 nearest neighbours, against a real set of the generated
  set's size and class counts from the held-out half, overall and per class: fidelity
  (precision, density) and diversity (recall, coverage) apart. Beside each, what a perfect
  generator scores on the same work: real sets of the same counts from the reference half
  against the same real set (mean and spread over draws).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from embedgan.errors import ConfigError
from embedgan.evaluation.classifier import predict
from embedgan.training.objectives import total_variation

FLOOR_DRAWS = 10  # real sets drawn for the perfect generator's score (its spread needs several)
PRDC = ("precision", "recall", "density", "coverage")  # Naeem et al.'s four numbers
PRDC_K = 5  # nearest neighbours of the precision / recall / density / coverage balls (Naeem et al.)


class MetricsError(ConfigError):
    """The evaluation cannot be done as configured; the message names the setting."""


def covariance(features: torch.Tensor) -> torch.Tensor:
    """Sample covariance (N - 1 in the denominator); zero for a single point."""
    if len(features) < 2:
        return features.new_zeros(features.shape[1], features.shape[1])
    return torch.cov(features.T)


class FrechetReference:
    """The Gaussian fitted to a real feature set (N x D), against which Frechet distances of
    other sets are taken: ||mu_r - mu_f||^2 + tr(S_r) + tr(S_f) - 2 tr((S_r S_f)^1/2), the FID
    formula in float64 (tested equal to torchmetrics' FrechetInceptionDistance).

    tr((S_r S_f)^1/2) is taken as tr((R S_f R)^1/2) with R = S_r^1/2: both symmetric, so two
    symmetric eigendecompositions replace a general one, and R is computed once per reference.
    """

    def __init__(self, real: torch.Tensor):
        real = real.double()
        self.mean, self.cov = real.mean(0), covariance(real)
        values, vectors = torch.linalg.eigh(self.cov)
        self.root = vectors @ torch.diag(values.clamp(min=0).sqrt()) @ vectors.T

    def distance(self, fake: torch.Tensor) -> float:
        fake = fake.double()
        cov_fake = covariance(fake)
        product = self.root @ cov_fake @ self.root
        root_trace = torch.linalg.eigvalsh((product + product.T) / 2).clamp(min=0).sqrt().sum()
        mean_term = (self.mean - fake.mean(0)).square().sum()
        return (mean_term + self.cov.trace() + cov_fake.trace() - 2 * root_trace).item()

    def best_point(self) -> float:
        """The smallest distance any set of identical points reaches against this reference:
        ||m - mu||^2 + tr(Sigma) is least at m = mu, where it is tr(Sigma)."""
        return self.cov.trace().item()


def frechet_distance(real: torch.Tensor, fake: torch.Tensor) -> float:
    """Frechet distance between the Gaussians fitted to two feature sets (N x D)."""
    return FrechetReference(real).distance(fake)


def split_reference(labels: torch.Tensor, seed: int, num_classes: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices of (reference, held-out pool): a random half of each class's images each, on
    the labels' device (drawn on the CPU, the same on every device)."""
    rng = torch.Generator().manual_seed(seed)
    reference, pool = [], []
    for c in range(num_classes):
        members = torch.nonzero(labels.cpu() == c).flatten()
        members = members[torch.randperm(len(members), generator=rng)]
        reference.append(members[: len(members) // 2])
        pool.append(members[len(members) // 2 :])
    return torch.cat(reference).to(labels.device), torch.cat(pool).to(labels.device)


def draw_like(counts: list[int], pool_labels: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """Positions in the pool of a real set with `counts[c]` images of each class c, on the pool
    labels' device (drawn on the CPU)."""
    picked = []
    for c, count in enumerate(counts):
        members = torch.nonzero(pool_labels.cpu() == c).flatten()
        if count > len(members):
            raise MetricsError(
                f"eval_samples_per_class asks for {count} images of class {c}, but the held-out "
                f"half of its test images has only {len(members)}: the fair Frechet reference "
                f"needs real sets of the generated size; set eval_samples_per_class <= "
                f"{len(members)}"
            )
        picked.append(members[torch.randperm(len(members), generator=rng)[:count]])
    return torch.cat(picked).to(pool_labels.device)


def best_point_distance(reference: torch.Tensor) -> float:
    """FrechetReference.best_point of a real feature set."""
    return FrechetReference(reference).best_point()


def class_counts(labels: torch.Tensor, num_classes: int) -> list[int]:
    return [int((labels == c).sum()) for c in range(num_classes)]


def floor_stats(values: list[float]) -> dict:
    """The floor's mean and sample standard deviation over its draws."""
    return {"frechet_floor": float(np.mean(values)), "frechet_floor_std": float(np.std(values, ddof=1))}


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


def prdc(real: torch.Tensor, fake: torch.Tensor, k: int = PRDC_K) -> dict | None:
    """Precision, recall, density and coverage of `fake` features against `real` ones, as the
    reference implementation (the prdc package, Naeem et al. 2020) computes them: each point's
    ball reaches its k-th nearest neighbour in its own set; precision: share of fake points in
    some real ball; recall: share of real points in some fake ball; density: real balls
    holding a fake point, per fake point, / k; coverage: share of real balls holding a fake
    point. None where a set has no k + 1 points (no k-th neighbour besides itself)."""
    if len(real) <= k or len(fake) <= k:
        return None
    real, fake = real.double(), fake.double()
    exact = {"compute_mode": "donot_use_mm_for_euclid_dist"}
    real_radii = torch.cdist(real, real, **exact).kthvalue(k + 1, dim=1).values
    fake_radii = torch.cdist(fake, fake, **exact).kthvalue(k + 1, dim=1).values
    distance = torch.cdist(real, fake, **exact)  # real x fake
    in_real_balls = distance < real_radii[:, None]
    return {
        "precision": in_real_balls.any(0).double().mean().item(),
        "recall": (distance < fake_radii[None, :]).any(1).double().mean().item(),
        "density": in_real_balls.sum(0).double().mean().item() / k,
        "coverage": (distance.min(1).values < real_radii).double().mean().item(),
    }


def mean_and_std(values: list[float]) -> dict:
    """Mean and sample standard deviation (0 for a single value) of values over draws."""
    return {"mean": float(np.mean(values)), "std": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0}


def spread(values: list[dict | None]) -> dict | None:
    """Mean and sample standard deviation of each PRDC value over draws."""
    if any(v is None for v in values):
        return None
    return {key: mean_and_std([v[key] for v in values]) for key in PRDC}


def prdc_against_real(
    fake: torch.Tensor,
    fake_labels: torch.Tensor,
    real: torch.Tensor,
    real_labels: torch.Tensor,
    reference: torch.Tensor,
    pool: torch.Tensor,
    num_classes: int,
    seed: int = 0,
    draws: int = FLOOR_DRAWS,
) -> dict:
    """PRDC of the generated features against a real set of their class counts from the
    held-out `pool` (the one real set the nearest-image distance also uses), overall and per
    class, each with the perfect generator's (`perfect`): real sets of the same counts from the
    `reference` half against the same real set, mean and std over `draws`."""
    counts = class_counts(fake_labels, num_classes)
    compared = pool[draw_like(counts, real_labels[pool], torch.Generator().manual_seed(seed))]
    rng = torch.Generator().manual_seed(seed + 2)
    perfect_sets = [reference[draw_like(counts, real_labels[reference], rng)] for _ in range(draws)]

    def judged(fake_set: torch.Tensor, fake_set_labels: torch.Tensor, classes) -> dict:
        keep = torch.isin(real_labels[compared], classes)
        mine = torch.isin(fake_set_labels, classes)
        return prdc(real[compared[keep]], fake_set[mine])

    def with_perfect(classes: torch.Tensor) -> dict:
        values = judged(fake, fake_labels, classes)
        perfect = spread([judged(real[s], real_labels[s], classes) for s in perfect_sets])
        return {"k": PRDC_K, **(values or dict.fromkeys(PRDC)), "perfect": perfect}

    every = torch.arange(num_classes, device=fake_labels.device)
    return {
        **with_perfect(every),
        "per_class": [with_perfect(every[c : c + 1]) for c in range(num_classes)],
    }


def mean_pairwise_distance(features: torch.Tensor) -> float:
    if len(features) < 2:
        return 0.0
    d = torch.cdist(features, features, compute_mode="donot_use_mm_for_euclid_dist")  # exact 0s
    return (d.sum() / (len(features) * (len(features) - 1))).item()


@torch.no_grad()
def mean_total_variation(images: torch.Tensor) -> float:
    """Total variation per image of uint8 images (pixels scaled to [0, 1]), mean over images
    (images of one size: the mean over all of them at once)."""
    return total_variation(images.double() / 255).item()


def evaluate(
    classifier: nn.Module,
    generated: torch.Tensor,
    generated_labels: torch.Tensor,
    x_test: torch.Tensor,
    y_test: torch.Tensor,
    x_train: torch.Tensor,
    has_noise: bool,
    num_classes: int,
    seed: int = 0,
    draws: int = FLOOR_DRAWS,
) -> dict:
    """All numbers for uint8 N x C x H x W generated images of the given labels, for a data
    set of `num_classes` classes."""
    logits, fake_features = predict(classifier, generated)
    _, test_features = predict(classifier, x_test)
    correct = logits.argmax(1) == generated_labels
    cross_entropy = F.cross_entropy(logits, generated_labels, reduction="none")
    reference, pool = split_reference(y_test, seed, num_classes)
    frechet = frechet_against_reference(
        fake_features, generated_labels, test_features, y_test, reference, pool, num_classes, seed, draws
    )
    fidelity = prdc_against_real(
        fake_features, generated_labels, test_features, y_test, reference, pool, num_classes, seed, draws
    )

    per_class = []
    for c in range(num_classes):
        mine = generated_labels == c
        per_class.append(
            {
                "accuracy": correct[mine].float().mean().item(),
                "cross_entropy": cross_entropy[mine].mean().item(),
                **frechet["per_class"][c],
                "diversity": mean_pairwise_distance(fake_features[mine]),
                "prdc": fidelity["per_class"][c],
            }
        )

    distance, nearest = nearest_training_images(generated, x_train)
    # Real held-out images with the generated set's class counts (the pool is ordered by class).
    like_generated = draw_like(
        class_counts(generated_labels, num_classes), y_test[pool], torch.Generator().manual_seed(seed)
    )
    real_like_generated = x_test[pool[like_generated]]
    test_distance, _ = nearest_training_images(real_like_generated, x_train)
    return {
        "samples": len(generated_labels),
        "has_noise": has_noise,
        "accuracy": correct.float().mean().item(),
        "cross_entropy": cross_entropy.mean().item(),
        **{key: value for key, value in frechet.items() if key != "per_class"},
        "reference_images": len(reference),
        "prdc": {key: value for key, value in fidelity.items() if key != "per_class"},
        "diversity": float(np.mean([c["diversity"] for c in per_class])),
        "diversity_real": float(
            np.mean([mean_pairwise_distance(test_features[y_test == c][:200]) for c in range(num_classes)])
        ),
        "nearest_train_distance": distance.mean().item(),
        "nearest_train_distance_real_test": test_distance.mean().item(),
        # Speckle: mean total variation of an image in [0, 1], beside real test images'.
        "total_variation": mean_total_variation(generated),
        "total_variation_real": mean_total_variation(real_like_generated),
        "nearest_train_index": nearest.tolist(),
        "nearest_train_distances": distance.tolist(),
        "per_class": per_class,
        "degenerate": (
            None
            if has_noise
            else "no noise input: the generator draws one image per class, so diversity is "
            "zero by construction and the generated covariance in the Frechet distance is zero "
            "(per class the distance is at least the best single point's)"
        ),
    }


def frechet_against_reference(
    fake: torch.Tensor,
    fake_labels: torch.Tensor,
    real: torch.Tensor,
    real_labels: torch.Tensor,
    reference: torch.Tensor,
    pool: torch.Tensor,
    num_classes: int,
    seed: int = 0,
    draws: int = FLOOR_DRAWS,
) -> dict:
    """Frechet distances of generated features against the `reference` real ones, each beside
    its fair reference: the distance of real sets from the disjoint `pool` with the generated
    set's count per class (the floor: mean and std over `draws`), and per class the best any
    single point reaches."""
    pool_labels = real_labels[pool]
    counts = class_counts(fake_labels, num_classes)
    rng = torch.Generator().manual_seed(seed + 1)
    real_draws = [pool[draw_like(counts, pool_labels, rng)] for _ in range(draws)]
    class_reference = [reference[real_labels[reference] == c] for c in range(num_classes)]
    # Every class's mean feature, repeated as often as the class is drawn.
    class_means = torch.cat(
        [real[idx].mean(0, keepdim=True).expand(n, -1) for idx, n in zip(class_reference, counts, strict=True)]
    )
    per_class = []
    for c, idx in enumerate(class_reference):
        fit = FrechetReference(real[idx])
        floor = [fit.distance(real[d[real_labels[d] == c]]) for d in real_draws]
        per_class.append(
            {
                "frechet_distance": fit.distance(fake[fake_labels == c]),
                **floor_stats(floor),
                "frechet_best_point": fit.best_point(),
            }
        )
    fit = FrechetReference(real[reference])
    return {
        "frechet_distance": fit.distance(fake),
        **floor_stats([fit.distance(real[d]) for d in real_draws]),
        "frechet_class_means": fit.distance(class_means),
        "frechet_floor_draws": draws,
        "per_class": per_class,
    }
