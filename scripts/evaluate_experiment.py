"""Snakemake script: metrics.json of one run, and each class's first draw beside its nearest
training image (the picture is drawn by the render job)."""

import json

import numpy as np
import torch

from embedgan.config.runs import Run, write_run_npz
from embedgan.datasets import data
from embedgan.datasets.images import nhwc_to_nchw
from embedgan.evaluation.classifier import load_classifier
from embedgan.evaluation.inception import inception_extractor, inception_metrics
from embedgan.evaluation.metrics import evaluate
from embedgan.machine.devices import select_device
from embedgan.networks.sampling import draw
from embedgan.runtime import log_to, write_json

with log_to(snakemake.log[0]):
    torch.set_num_threads(snakemake.threads)
    device = select_device(snakemake.config["device"])
    per_class = snakemake.params.samples_per_class
    run = Run.from_record(snakemake.params.run)
    images, classes, stochastic = draw(snakemake.input.model, per_class, device, run)
    generated = torch.from_numpy(images.reshape(-1, *images.shape[2:])).to(device)
    labels = torch.arange(len(classes), device=device).repeat(per_class)
    dataset = data.load(snakemake.input.images)
    as_tensor = lambda x: nhwc_to_nchw(x).to(device)  # noqa: E731
    classifier = load_classifier(snakemake.input.classifier, device, run.dataset)
    metrics = evaluate(
        classifier,
        generated,
        labels,
        as_tensor(dataset.x_test),
        torch.from_numpy(dataset.y_test).to(device),
        as_tensor(dataset.x_train),
        has_noise=stochastic,
        num_classes=len(classes),
    )
    # Inception-v3 metrics where the config asks (they need the standard weights, downloaded once).
    metrics["inception"] = (
        inception_metrics(
            inception_extractor(snakemake.input.inception, device),
            generated,
            labels,
            as_tensor(dataset.x_test),
            torch.from_numpy(dataset.y_test).to(device),
            len(classes),
        )
        if snakemake.params.inception
        else None
    )
    metrics["classifier"] = json.loads(open(snakemake.input.classifier_summary).read())
    metrics["run"] = snakemake.params.run  # each metrics file names the run it judges
    metrics["device"] = str(next(classifier.parameters()).device)  # where the judging computed
    write_json(snakemake.output.metrics, metrics)

    # First draw of each class above its nearest training image.
    first = np.array(metrics["nearest_train_index"][: len(classes)])
    write_run_npz(
        snakemake.output.nearest_images,
        run.made_for(),
        images=np.stack([images[0], dataset.x_train[first].transpose(0, 3, 1, 2)]),
        distances=np.array(metrics["nearest_train_distances"][: len(classes)]),
    )
    print(f"accuracy {metrics['accuracy']:.3f}, Frechet distance {metrics['frechet_distance']:.3f}")
