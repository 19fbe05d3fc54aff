"""What a trained generator does with inputs it was not trained on: points between two
classes' conditioning vectors (morphs), free texts (prompts), and captions never seen in
training (held-out templates, synonyms of class names)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from embedgan.evaluation.classifier import predict
from embedgan.networks.conditioners import TextConditioner, build_conditioner
from embedgan.networks.run_networks import averaged_weights
from embedgan.networks.sampling import TrainedGenerator
from embedgan.networks.text import captions

MORPH_STEPS = 8
CAPTION_DRAWS = 10  # images per caption where the generator draws many per input


def fixed_rng(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def images_of_codes(trained: TrainedGenerator, codes: torch.Tensor, seed: int) -> np.ndarray:
    """One image per code, each with the same noise / augmentation draw (from `seed`), so that
    images differ only by their code."""
    return np.concatenate([trained.images(code[None], fixed_rng(seed)) for code in codes])


def class_index(trained: TrainedGenerator, name: str) -> int:
    if name not in trained.classes:
        raise ValueError(f"morphs: unknown class {name!r}; classes: {', '.join(trained.classes)}")
    return trained.classes.index(name)


def morph_images(
    trained: TrainedGenerator, pairs: list[list[str]], steps: int = MORPH_STEPS, seed: int = 0
) -> np.ndarray:
    """uint8 images pairs x steps x C x H x W along the straight line from the first class's
    conditioning vector to the second's (both ends included)."""
    weights = torch.linspace(0, 1, steps, device=trained.class_codes.device)[:, None]
    rows = []
    for first, second in pairs:
        start = trained.class_codes[class_index(trained, first)]
        end = trained.class_codes[class_index(trained, second)]
        rows.append(images_of_codes(trained, (1 - weights) * start + weights * end, seed))
    return np.stack(rows)


def load_text_conditioner(trained: TrainedGenerator, device: torch.device) -> TextConditioner:
    """A text run's trained conditioner (BERT and projection; the moving average of them where
    the run keeps one, as the sampler draws from it), in eval mode."""
    conditioner = build_conditioner(trained.settings, trained.classes)
    networks = trained.model.networks
    conditioner.load_state_dict(
        averaged_weights(networks["conditioner_ema"]) if "conditioner_ema" in networks else networks["conditioner"]
    )
    return conditioner.to(device).eval()


@torch.no_grad()
def judge_texts(
    trained: TrainedGenerator,
    conditioner: TextConditioner,
    classifier: nn.Module,
    texts: list[str],
    draws: int,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 images draws x texts x C x H x W generated from each text, the classifier's
    class for each of them: draws x texts)."""
    codes = conditioner.encode_texts(texts)
    rng = fixed_rng(seed)
    images = np.stack([trained.images(codes, rng) for _ in range(draws)])
    flat = torch.from_numpy(images.reshape(-1, *images.shape[2:])).to(codes.device)
    logits, _ = predict(classifier, flat)
    return images, logits.argmax(1).cpu().numpy().reshape(draws, len(texts))


def caption_sets(
    trained: TrainedGenerator, heldout: dict
) -> dict[str, list[tuple[str, int]]]:
    """(caption, class) per kind: seen in training (every template of every class), held-out
    templates, and the training templates with a synonym in place of the class name."""
    settings, classes = trained.settings, trained.classes

    def of(templates, names=classes):
        return [
            (caption, c)
            for template in templates
            for c, caption in enumerate(captions(template, names))
        ]

    synonyms = [
        (template.format(name=word), class_index(trained, name))
        for name, words in heldout.get("synonyms", {}).items()
        for word in words
        for template in settings.templates
    ]
    return {
        "seen": of(settings.templates),
        "unseen_templates": of(heldout.get("templates", [])),
        "synonyms": synonyms,
    }


def caption_accuracy(
    trained: TrainedGenerator,
    conditioner: TextConditioner,
    classifier: nn.Module,
    heldout: dict,
    draws: int,
) -> dict:
    """Per kind of caption: how often the classifier names the intended class of images
    generated from it (`draws` per caption), and the per-caption shares."""
    result = {}
    for kind, pairs in caption_sets(trained, heldout).items():
        if not pairs:
            continue
        texts, labels = zip(*pairs, strict=True)
        _, verdicts = judge_texts(trained, conditioner, classifier, list(texts), draws)
        hits = verdicts == np.array(labels)[None]
        result[kind] = {
            "captions": len(texts),
            "images": int(hits.size),
            "accuracy": float(hits.mean()),
            "per_caption": {text: float(share) for text, share in zip(texts, hits.mean(0), strict=True)},
        }
    return result
