"""Inception-v3 metrics (FID, IS, KID) of generated images, where the standard weights can be
had (`inception_metrics`; torch-fidelity's port of the TensorFlow graph, downloaded once by the
rule fetch_inception), each beside a perfect generator's on the same work."""

from __future__ import annotations

import torch

from embedgan.evaluation.metrics import (
    FrechetReference,
    class_counts,
    draw_like,
    mean_and_std,
    split_reference,
)

INCEPTION_URL = (
    "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/"
    "weights-inception-2015-12-05-6726825d.pth"
)
INCEPTION_FLOOR_DRAWS = 3  # Inception on every real set is slow on a CPU: fewer draws
IS_SPLITS = 10
KID_SUBSETS, KID_SUBSET_SIZE = 100, 1000


def inception_extractor(weights_path: str, device: torch.device):
    """images (uint8 N x C x H x W) -> (2048-d pool features, logits) of the standard FID
    Inception-v3 (torch-fidelity's port of the TensorFlow graph, as torchmetrics uses it)."""
    from torchmetrics.image.fid import NoTrainInceptionV3

    network = NoTrainInceptionV3(
        name="inception-v3-compat",
        features_list=["2048", "logits_unbiased"],
        feature_extractor_weights_path=weights_path,
    ).to(device)

    @torch.no_grad()
    def extract(images: torch.Tensor, batch: int = 100) -> tuple[torch.Tensor, torch.Tensor]:
        features, logits = [], []
        for chunk in images.split(batch):
            if chunk.shape[1] == 1:  # grey MNIST: the same value in each colour channel
                chunk = chunk.expand(-1, 3, -1, -1)
            pooled, scores = network(chunk)
            features.append(pooled.double())
            logits.append(scores.double())
        return torch.cat(features), torch.cat(logits)

    return extract


def inception_score(logits: torch.Tensor, rng: torch.Generator, splits: int = IS_SPLITS) -> tuple[float, float]:
    """Mean and std over `splits` random splits of exp(E_x KL(p(y|x) || p(y))) (Salimans et
    al. 2016), as torchmetrics' InceptionScore computes it."""
    order = torch.randperm(len(logits), generator=rng)
    prob, log_prob = logits[order].softmax(1), logits[order].log_softmax(1)
    scores = []
    for p, log_p in zip(prob.chunk(splits), log_prob.chunk(splits), strict=True):
        marginal = p.mean(0, keepdim=True)
        scores.append((p * (log_p - marginal.log())).sum(1).mean().exp())
    scores = torch.stack(scores)
    return scores.mean().item(), (scores.std().item() if len(scores) > 1 else 0.0)


def kernel_inception_distance(
    real: torch.Tensor, fake: torch.Tensor, rng: torch.Generator, subsets: int = KID_SUBSETS, size: int = KID_SUBSET_SIZE
) -> float:
    """The unbiased MMD^2 with the cubic polynomial kernel (Binkowski et al. 2018), mean over
    random subsets of equal size from both sets, as torchmetrics' KernelInceptionDistance."""
    from torchmetrics.image.kid import poly_mmd

    size = min(size, len(real), len(fake))
    values = [
        poly_mmd(real[torch.randperm(len(real), generator=rng)[:size]], fake[torch.randperm(len(fake), generator=rng)[:size]])
        for _ in range(subsets)
    ]
    return torch.stack(values).mean().item()


def inception_metrics(
    extract,
    generated: torch.Tensor,
    generated_labels: torch.Tensor,
    x_test: torch.Tensor,
    y_test: torch.Tensor,
    num_classes: int,
    seed: int = 0,
    draws: int = INCEPTION_FLOOR_DRAWS,
) -> dict:
    """FID, IS and KID of the generated images, each beside a perfect generator's on the same
    work: FID and KID against the reference half of the test images (real sets of the
    generated counts from the other half: mean and std over `draws`), IS beside a real set's."""
    reference, pool = split_reference(y_test, seed, num_classes)
    fake_features, fake_logits = extract(generated)
    test_features, test_logits = extract(x_test)
    rng = torch.Generator().manual_seed(seed + 3)
    counts = class_counts(generated_labels, num_classes)
    real_sets = [pool[draw_like(counts, y_test[pool], rng)] for _ in range(draws)]
    fit = FrechetReference(test_features[reference])
    real_reference = test_features[reference]

    def kid(features: torch.Tensor) -> float:
        return kernel_inception_distance(real_reference, features, torch.Generator().manual_seed(seed))

    inception, inception_std = inception_score(fake_logits, torch.Generator().manual_seed(seed))
    return {
        "fid": fit.distance(fake_features),
        "fid_perfect": mean_and_std([fit.distance(test_features[s]) for s in real_sets]),
        "is": inception,
        "is_std": inception_std,
        "is_perfect": mean_and_std([inception_score(test_logits[s], torch.Generator().manual_seed(seed))[0] for s in real_sets]),
        "kid": kid(fake_features),
        "kid_perfect": mean_and_std([kid(test_features[s]) for s in real_sets]),
        "draws": draws,
    }
