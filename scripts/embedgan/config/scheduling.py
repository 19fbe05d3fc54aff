"""Which training starts first: Snakemake's `priority` of a training job, from its settings."""

from __future__ import annotations

from embedgan.config.settings import Settings
from embedgan.datasets.data import DatasetInfo

# A training step's fixed cost (kernel launches, the optimiser's update), counted as pixels of
# work: at batch 4 the fixed cost is most of a step (exp1 and exp4 on a CPU).
STEP_OVERHEAD_PIXELS = 16_384


def training_priority(settings: Settings, info: DatasetInfo) -> int:
    """A training job's rank among the jobs (Snakemake's `priority`): above every other job,
    and the more work the higher, so that the longest trainings start first and no core idles
    at the end. The work is an estimate: steps x (pixels per batch + a step's fixed cost),
    with the whole training split where `train_per_class` does not cut it (`info`: the facts
    of the settings' data set)."""
    per_class = settings.train_per_class
    images = info.full_train_images if per_class is None else len(info.classes) * per_class
    channels, height, width = info.image_shape
    steps = settings.epochs * -(-images // settings.batch_size)
    work = steps * (settings.batch_size * channels * height * width + STEP_OVERHEAD_PIXELS)
    return 1 + work // 10**6
