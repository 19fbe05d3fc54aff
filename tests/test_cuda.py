"""The CUDA paths, on a GPU: skipped with the reason where there is none.

Run them alone on a GPU machine with `python -m pytest -m cuda`.
"""

import json

import pytest
import torch

from test_train import fetched, run, settings  # noqa: F401  (fetched: a fixture)

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine"),
]

CUDA = torch.device("cuda")
ALL_ON = {"fused_optimizer": True, "cudnn_benchmark": True, "graph_capture": True}
ALL_OFF = dict.fromkeys(ALL_ON, False)
# A GAN's trajectory amplifies rounding differences (fused vs per-tensor Adam, cuDNN's choice
# of algorithm), so runs are compared on their losses, not their weights: the mean loss over
# the last third of 300 steps within this relative tolerance.
LOSS_RTOL = 0.05


def late_losses(out) -> dict[str, float]:
    rows = json.loads((out / "history.json").read_text())["loss"]
    late = rows[2 * len(rows) // 3 :]
    return {key: sum(r[key] for r in late) / len(late) for key in ("loss_d", "loss_g")}


def three_hundred_steps(**changes):
    # 120 tiny training images in batches of 4: 30 steps per epoch.
    return settings(batch_size=4, epochs=10, history_points=2, **changes)


@pytest.mark.parametrize(
    "experiment",
    [{}, {"dataset": "cifar10", "discriminator": "mlp_sigmoid", "objective": "bce_fake_zeros"}],
    ids=["exp4-like", "exp1-like"],
)
def test_captured_fused_training_matches_eager_training(tmp_path, fetched, caplog, experiment):  # noqa: F811
    caplog.set_level("INFO")
    experiment = three_hundred_steps(**experiment)
    fast = run(tmp_path, fetched, "fast", experiment, ALL_ON, device=CUDA)
    assert "captured the 'both' training step as a CUDA graph" in caplog.text
    history = json.loads((fast / "history.json").read_text())
    assert history["cuda_graph_steps"] == ["both"] and history["steps"] == 300
    eager = run(tmp_path, fetched, "eager", experiment, ALL_OFF, device=CUDA)
    fast_losses, eager_losses = late_losses(fast), late_losses(eager)
    for key in fast_losses:
        assert fast_losses[key] == pytest.approx(eager_losses[key], rel=LOSS_RTOL), key
