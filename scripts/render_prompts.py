"""Snakemake script: results/<exp>/prompts.png, an image per prompt of the experiment's
`prompts` with the reference classifier's verdict beside it."""

import torch

from embedgan.config.runs import Run
from embedgan.documents.render import class_grid
from embedgan.evaluation.classifier import load_classifier
from embedgan.evaluation.probes import judge_texts, load_text_conditioner
from embedgan.machine.devices import select_device
from embedgan.networks.sampling import load_generator
from embedgan.runtime import log_to

with log_to(snakemake.log[0]):
    torch.set_num_threads(snakemake.threads)
    device = select_device(snakemake.config["device"])
    run = Run.from_record(snakemake.params.run)
    trained = load_generator(snakemake.input.model, device, run)
    prompts = snakemake.params.prompts
    images, verdicts = judge_texts(
        trained,
        load_text_conditioner(trained, device),
        load_classifier(snakemake.input.classifier, device, run.dataset),
        prompts,
        draws=1,
    )
    # One row per prompt, labelled with the prompt and the classifier's verdict.
    labels = [f"{prompt} → {trained.classes[verdict]}" for prompt, verdict in zip(prompts, verdicts[0], strict=True)]
    class_grid(images.swapaxes(0, 1), ("",), labels,
               f"{snakemake.wildcards.exp}: prompt → the classifier's verdict", snakemake.output.prompts)
