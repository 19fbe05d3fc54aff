"""Snakemake script: results/<exp>/captions.json, the reference classifier's accuracy on
images generated from captions seen in training and from captions never seen (held-out
templates, synonyms of class names)."""

import json

import torch

from embedgan.classifier import load_classifier
from embedgan.probes import CAPTION_DRAWS, caption_accuracy, load_text_conditioner
from embedgan.runtime import atomic_path, log_to, select_device
from embedgan.sampling import load_generator

with log_to(snakemake.log[0]):
    torch.set_num_threads(snakemake.threads)
    device = select_device(snakemake.config["device"])
    trained = load_generator(snakemake.input.model, device)
    accuracy = caption_accuracy(
        trained,
        load_text_conditioner(trained, device),
        load_classifier(snakemake.input.classifier, device),
        snakemake.params.heldout,
        draws=CAPTION_DRAWS if trained.settings.stochastic else 1,
    )
    result = {
        "experiment": snakemake.wildcards.exp,
        "encoder": "frozen" if trained.settings.freeze_encoder else "fine-tuned",
        **accuracy,
    }
    with atomic_path(snakemake.output.captions) as tmp:
        with open(tmp, "w") as handle:
            json.dump(result, handle, indent=1)
    for kind, numbers in accuracy.items():
        print(f"{kind}: accuracy {numbers['accuracy']:.3f} over {numbers['captions']} captions")
