"""The arms' words (embedgan.config.arms): what each role feeds the generator, and the question
each comparison between two roles answers, as the documents and figures say them."""

from __future__ import annotations

from embedgan.config.arms import Comparison

ROLE_WORDS = {
    "notebook": "the notebook's run",
    "noise_mode_seeking": "embedding + noise, mode seeking",
    "noise": "embedding + noise",
    "embedding": "the embedding alone",
    "distribution": "the embedding as a distribution (conditioning augmentation, no noise)",
    "distribution_noise": "the embedding as a distribution + noise, mode seeking (conditioning augmentation beside the noise)",
}
# (before, after) -> the question the comparison's difference answers.
QUESTIONS = {
    ("noise", "noise_mode_seeking"): "what mode seeking adds to the noise",
    ("embedding", "noise"): "what the noise gives",
    ("embedding", "distribution"): "what randomness inside the embedding gives",
    ("noise_mode_seeking", "distribution"):
        "whether randomness inside the embedding reaches what the noise with mode seeking reaches",
    ("noise", "distribution"): "whether randomness inside the embedding reaches what the noise reaches",
    ("noise_mode_seeking", "distribution_noise"): "what randomness inside the embedding adds beside the noise",
}


def question(comparison: Comparison) -> str:
    return QUESTIONS[comparison.before, comparison.after]
