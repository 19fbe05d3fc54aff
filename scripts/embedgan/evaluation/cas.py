"""Classification accuracy score (CAS; Ravuri and Vinyals 2019; "GAN-train" in Shmelkov et al.
2018): the reference classifier's architecture, trained with its own recipe on generated images
only (`images_per_class` per class, each labelled with the class it was drawn for), scored on
the real test set; beside it the same training on as many real training images per class,
over several seeds (its spread). A generator that draws one image per class gives the
classifier one example of each: it cannot score high, however good that image.
"""

from __future__ import annotations

import hashlib
import logging

import numpy as np
import torch

from embedgan.config.runs import Run
from embedgan.datasets.images import nhwc_to_nchw
from embedgan.evaluation.classifier_training import fit, split_on, test_accuracy
from embedgan.networks.sampling import draw
from embedgan.runtime import fingerprint

log = logging.getLogger("embedgan.evaluation.cas")


def training_settings(classifier: dict, cas: dict, seed: int) -> dict:
    """The reference classifier's recipe (batch size, learning rate) for `cas` epochs."""
    return {"epochs": cas["epochs"], "batch_size": classifier["batch_size"], "lr": classifier["lr"], "seed": seed}


def score(
    dataset_name: str,
    num_classes: int,
    images: torch.Tensor,
    labels: torch.Tensor,
    settings: dict,
    test: tuple[torch.Tensor, torch.Tensor],
    device: torch.device,
    checkpoint: str,
    run_fingerprint: str,
) -> dict:
    """Train on (images, labels) of `num_classes` classes, score on the real test split."""
    model, elapsed = fit(
        dataset_name, num_classes, images, labels, settings, device, checkpoint, run_fingerprint, test
    )
    return {**test_accuracy(model, *test), "train_images": len(labels), "wall_time_s": elapsed,
            "device": str(next(model.parameters()).device)}  # where it trained and scored


def generated_score(
    model_path: str,
    run: Run,
    dataset,
    classifier: dict,
    cas: dict,
    device: torch.device,
    checkpoint: str,
    manifest_path: str,
) -> dict:
    """CAS of a run: trained on its generated images, scored on the real test split."""
    per_class = cas["images_per_class"]
    images, _, stochastic = draw(model_path, per_class, device, run, seed=run.seed + 1)
    generated = torch.from_numpy(images.reshape(-1, *images.shape[2:])).to(device)
    labels = torch.arange(len(dataset.classes), device=device).repeat(per_class)
    settings = training_settings(classifier, cas, run.seed)
    test = split_on(dataset, "test", device)
    # A checkpoint belongs to these settings and these very images.
    drawn = hashlib.sha256(images.tobytes()).hexdigest()
    identity = fingerprint({**settings, "run": run.made_for(), "images": drawn}, manifest_path)
    result = score(run.dataset, len(dataset.classes), generated, labels, settings, test, device, checkpoint, identity)
    return {"run": run.record(), "images_per_class": per_class, "stochastic": stochastic, **result}


def checkpoint_of(checkpoint: str, seed: int) -> str:
    """The checkpoint of one seed's training of the real-image score."""
    return f"{checkpoint}.seed{seed}"


def real_score(
    dataset_name: str,
    dataset,
    classifier: dict,
    cas: dict,
    device: torch.device,
    checkpoint: str,
    manifest_path: str,
) -> dict:
    """The same training on `images_per_class` real training images per class (drawn at
    random, one draw per seed), scored alike: what a perfect generator's CAS is here."""
    per_class = cas["images_per_class"]
    test = split_on(dataset, "test", device)
    results = []
    for seed in range(cas["real_seeds"]):
        rng = np.random.default_rng(seed)
        picked = np.concatenate(
            [rng.permutation(np.flatnonzero(dataset.y_train == c))[:per_class] for c in range(len(dataset.classes))]
        )
        images = nhwc_to_nchw(dataset.x_train[picked]).to(device)
        labels = torch.from_numpy(dataset.y_train[picked]).to(device)
        settings = training_settings(classifier, cas, seed)
        identity = fingerprint({**settings, "images_per_class": per_class}, manifest_path)
        results.append(score(dataset_name, len(dataset.classes), images, labels, settings, test, device,
                             checkpoint_of(checkpoint, seed), identity))
        log.info("real images, seed %d: test accuracy %.4f", seed, results[-1]["test_accuracy"])
    accuracies = [r["test_accuracy"] for r in results]
    return {
        "dataset": dataset_name,
        "images_per_class": per_class,
        "seeds": len(results),
        "test_accuracy": float(np.mean(accuracies)),
        "test_accuracy_std": float(np.std(accuracies, ddof=1)) if len(results) > 1 else 0.0,
        "runs": results,
    }
