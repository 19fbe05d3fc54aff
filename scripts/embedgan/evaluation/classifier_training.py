"""Training of the reference classifiers (on a data set's real training split) and of the
classifiers of the classification accuracy score (embedgan.evaluation.cas)."""

from __future__ import annotations

import logging
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from embedgan.datasets import data as datasets
from embedgan.datasets.images import nhwc_to_nchw, to_model_range
from embedgan.evaluation.classifier import build_classifier, predict
from embedgan.machine.devices import make_current
from embedgan.runtime import fingerprint, save_tensors, seed_everything, write_json
from embedgan.training import checkpoints

log = logging.getLogger("embedgan.evaluation.classifier")


def augment(
    images: torch.Tensor, shift_rng: torch.Generator, flip_rng: torch.Generator | None
) -> torch.Tensor:
    """A random shift of up to 2 pixels (one per batch, drawn on the CPU: slicing needs it
    there), and with `flip_rng` (CIFAR-10) a horizontal flip of each image with probability
    1/2, drawn on the images' device by that generator (no host copy per batch)."""
    n, _, height, width = images.shape
    padded = F.pad(images, (2, 2, 2, 2), mode="replicate")
    dy, dx = torch.randint(0, 5, (2,), generator=shift_rng).tolist()
    shifted = padded[:, :, dy : dy + height, dx : dx + width]
    if flip_rng is not None:
        mirror = torch.rand(n, generator=flip_rng, device=images.device) < 0.5
        shifted = torch.where(mirror[:, None, None, None], shifted.flip(3), shifted)
    return shifted



def fit(
    name: str,
    num_classes: int,
    images: torch.Tensor,
    labels: torch.Tensor,
    settings: dict,
    device: torch.device,
    checkpoint: str,
    run_fingerprint: str,
    test: tuple[torch.Tensor, torch.Tensor],
) -> tuple[nn.Module, float]:
    """(the classifier of data set `name` (`num_classes` classes, as its loaded Dataset has)
    trained on uint8 `images` and their `labels` with
    `settings` (epochs, batch_size, lr, seed), its training time): AdamW with a one-cycle
    schedule, random shifts (and flips for colour images, as CIFAR-10's); a checkpoint after every epoch, resumed
    from (the caller removes it once its outputs are written). `test`: images and labels whose accuracy the log gives after each epoch."""
    image_shape = tuple(images.shape[1:])
    seed_everything(settings["seed"])
    model = build_classifier(image_shape, num_classes).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings["lr"], weight_decay=5e-4)
    batch_size, epochs = settings["batch_size"], settings["epochs"]
    steps_per_epoch = math.ceil(len(labels) / batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=settings["lr"], total_steps=epochs * steps_per_epoch
    )
    order_rng = torch.Generator(device=device).manual_seed(settings["seed"])
    shift_rng = torch.Generator().manual_seed(settings["seed"] + 1)
    flip_rng = torch.Generator(device=device).manual_seed(settings["seed"] + 2)
    generators = (order_rng, shift_rng, flip_rng)
    run_identity = checkpoints.identity(run_fingerprint, device)
    epoch, elapsed = 0, 0.0
    saved = checkpoints.load(checkpoint, run_identity)
    if saved is not None:
        model.load_state_dict(saved["model"])
        checkpoints.load_optimizer(optimizer, saved["optimizer"])
        schedule.load_state_dict(saved["schedule"])
        checkpoints.restore_rng(saved["rng"], device, *generators)
        epoch, elapsed = saved["epoch"], saved["elapsed"]
        log.info("resumed from %s after epoch %d", checkpoint, epoch)
    log.info("%s classifier: %d images, %d epochs of batch %d on %s", name, len(labels), epochs, batch_size, device)
    progress = tqdm(total=epochs * steps_per_epoch, initial=epoch * steps_per_epoch, file=sys.stderr, mininterval=15, ascii=True)
    while epoch < epochs:
        start = time.perf_counter()
        model.train()
        loss_sum = torch.zeros((), device=device)
        order = torch.randperm(len(labels), device=device, generator=order_rng)
        for batch in order.split(batch_size):
            real = augment(
                to_model_range(images[batch]), shift_rng, flip_rng if image_shape[0] == 3 else None
            )
            loss = F.cross_entropy(model(real), labels[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            loss_sum += loss.detach()
            progress.update()
        epoch += 1
        elapsed += time.perf_counter() - start
        accuracy = test_accuracy(model, *test)["test_accuracy"]
        log.info("epoch %d/%d: mean loss %.4f, test accuracy %.4f", epoch, epochs, loss_sum.item() / steps_per_epoch, accuracy)
        checkpoints.save(
            checkpoint,
            run_identity,
            {
                "epoch": epoch,
                "elapsed": elapsed,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "schedule": schedule.state_dict(),
                "rng": checkpoints.rng_state(device, *generators),
            },
        )
    progress.close()
    return model, elapsed


def test_accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> dict:
    """The classifier's accuracy on uint8 `images`, overall and per class."""
    predictions = predict(model, images)[0].argmax(1)
    return {
        "test_accuracy": (predictions == labels).float().mean().item(),
        "test_accuracy_per_class": [
            (predictions[labels == c] == c).float().mean().item() for c in range(model.num_classes)
        ],
    }


def split_on(dataset: datasets.Dataset, split: str, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """A split's uint8 N x C x H x W images and labels, on `device`."""
    images, labels = dataset.split(split)
    return nhwc_to_nchw(images).to(device), torch.from_numpy(labels).to(device)


def train_classifier(
    name: str,
    settings: dict,
    dataset_path: str,
    manifest_path: str,
    device: torch.device,
    checkpoint: str,
    model_out: str,
    summary_out: str,
) -> dict:
    """Train the reference classifier of one data set; resumes from `checkpoint`."""
    device = make_current(device)
    dataset = datasets.load_verified(dataset_path, manifest_path)
    images, labels = split_on(dataset, "train", device)
    test = split_on(dataset, "test", device)
    model, elapsed = fit(
        name, len(dataset.classes), images, labels, settings, device, checkpoint,
        fingerprint(settings, manifest_path), test,
    )
    summary = {
        "dataset": name,
        "architecture": type(model).__name__,
        "settings": settings,
        "train_images": len(labels),
        "test_images": len(test[1]),
        **test_accuracy(model, *test),
        "device": str(next(model.parameters()).device),  # where it trained, not only where it was asked to
        "wall_time_s": elapsed,
    }
    save_tensors(
        model_out,
        {"dataset": name, "image_shape": list(images.shape[1:]), "num_classes": len(dataset.classes),
         "state": {k: v.cpu() for k, v in model.state_dict().items()}},
    )
    write_json(summary_out, summary)
    Path(checkpoint).unlink()
    return summary
