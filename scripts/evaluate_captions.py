"""Snakemake script: results/<exp>/captions.json, the reference classifier's accuracy on
images generated from captions seen in training and from captions never seen (held-out
templates, synonyms of class names)."""

import torch

from embedgan.config.runs import Run
from embedgan.evaluation.classifier import load_classifier
from embedgan.evaluation.probes import CAPTION_DRAWS, caption_accuracy, load_text_conditioner
from embedgan.machine.devices import select_device
from embedgan.networks.sampling import load_generator
from embedgan.runtime import log_to, write_json

with log_to(snakemake.log[0]):
    torch.set_num_threads(snakemake.threads)
    device = select_device(snakemake.config["device"])
    run = Run.from_record(snakemake.params.run)
    trained = load_generator(snakemake.input.model, device, run)
    accuracy = caption_accuracy(
        trained,
        load_text_conditioner(trained, device),
        load_classifier(snakemake.input.classifier, device, run.dataset),
        snakemake.params.heldout,
        draws=CAPTION_DRAWS if trained.settings.stochastic else 1,
    )
    result = {
        "experiment": snakemake.wildcards.exp,
        "encoder": "frozen" if trained.settings.freeze_encoder else "fine-tuned",
        **accuracy,
    }
    write_json(snakemake.output.captions, result)
    for kind, numbers in accuracy.items():
        print(f"{kind}: accuracy {numbers['accuracy']:.3f} over {numbers['captions']} captions")
