"""What the rules between settings know of each registry's names (no torch: the workflow checks
every experiment's settings when it starts, before any job). The builders live beside their
kind, keyed by the same names: conditioners, generators and discriminators in
embedgan.networks, objectives in embedgan.training.objectives, schedules in
embedgan.training.setup (tests/test_cgan.py keeps them in step with these and with the config
schema)."""

from __future__ import annotations

from dataclasses import dataclass

# What an objective asks of its discriminator, and what a discriminator can answer:
PROBABILITIES = "class probabilities"  # D(x): 10 probabilities (the notebook's)
SCORE = "a real/fake score for the condition"  # D(x, condition): one logit per image
SCORE_AND_CLASSES = "a real/fake logit and class logits"  # D(x): (logit, 10 class logits)


@dataclass(frozen=True)
class ObjectiveKind:
    """`needs`: what the discriminator answers (None: the objective uses none, exp2's pixel
    loss); `d_sees_fakes`: whether the discriminator is trained on generated images (the
    classifier of exp4/exp5 never is)."""

    needs: str | None
    d_sees_fakes: bool


OBJECTIVES = {
    "bce_fake_zeros": ObjectiveKind(PROBABILITIES, True),
    "bce_fake_complement": ObjectiveKind(PROBABILITIES, True),
    "bce_classifier": ObjectiveKind(PROBABILITIES, False),
    "pixel_mse": ObjectiveKind(None, False),
    "hinge": ObjectiveKind(SCORE, True),
    "acgan": ObjectiveKind(SCORE_AND_CLASSES, True),
}

# The notebook's discriminators answer class probabilities, or, given a real/fake head, a
# real/fake logit beside class logits.
NOTEBOOK_ANSWERS = (PROBABILITIES, SCORE_AND_CLASSES)
DISCRIMINATOR_ANSWERS = {
    "mlp_sigmoid": NOTEBOOK_ANSWERS,
    "mlp_softmax": NOTEBOOK_ANSWERS,
    "cnn_softmax": NOTEBOOK_ANSWERS,
    "projection": (SCORE,),
}

# The image sides each generator draws: exactly these, or any divisible by 4 (None: any).
GENERATOR_SIDES = {"deconv": None, "linear_deconv": (32, 32), "dcgan": "divisible by 4"}
# Where the code enters a generator (`generator_conditioning`), and the generators that can
# take it in their BatchNorm layers.
GENERATOR_CONDITIONINGS = ("input", "batchnorm")
BATCHNORM_CONDITIONED = ("dcgan",)


@dataclass(frozen=True)
class ConditioningKind:
    """What a run's `conditioning` makes the generator's codes of. `uses_text`: a text encoder's
    code of each image's caption (the encoder, its options and the captions' templates are
    training settings; the discriminator judges with the caption's code or the encoder's
    states), else a learnt embedding of each label; `probes`: the probes beyond the notebook it
    can answer (the workflow's names: free prompts and held-out captions need an encoder)."""

    uses_text: bool
    probes: tuple[str, ...]

    @property
    def capturable(self) -> bool:
        """Whether a training step may be captured as a CUDA graph: BERT's forward is not known
        to be capture-safe (host syncs), so text steps run eagerly."""
        return not self.uses_text


CONDITIONINGS = {
    "label": ConditioningKind(uses_text=False, probes=("morph",)),
    "text": ConditioningKind(uses_text=True, probes=("morph", "prompts", "captions")),
}

SCHEDULES = ("alternating", "classifier_first")
TEXT_POOLINGS = ("cls", "mean")
# What a text discriminator judges with (`discriminator_condition`).
DISCRIMINATOR_CONDITIONS = ("code", "states")
