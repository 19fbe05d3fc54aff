"""The CUDA paths, on a GPU: skipped with the reason where there is none.

Run them alone on a GPU machine with `python -m pytest -m cuda`.
"""

import json
import signal

import pytest
import torch

from test_interrupt import finish, interrupt_after_first_checkpoint, resume, start
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


def test_a_run_killed_on_the_gpu_resumes_there_to_the_uninterrupted_losses(tmp_path, mirror):
    """SIGTERM mid-run (as Slurm preempts), then the same command: the checkpoint is read on
    the CPU and resumed on the GPU, with capture and fused Adam as configured."""
    process, reference = start(tmp_path, mirror, "reference", device="cuda")
    code, output = finish(process)
    assert code == 0, output
    out, output = interrupt_after_first_checkpoint(tmp_path, mirror, signal.SIGTERM, device="cuda")
    assert "Preempted: SIGTERM at step" in output
    out, output = resume(tmp_path, mirror, device="cuda")
    history = json.loads((out / "history.json").read_text())
    assert history["device"].startswith("cuda") and history["steps"] == 12 * 30
    resumed_losses, reference_losses = late_losses(out), late_losses(reference)
    for key in resumed_losses:
        assert resumed_losses[key] == pytest.approx(reference_losses[key], rel=LOSS_RTOL), key


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two or more CUDA GPUs")
def test_training_on_the_second_gpu_trains_there(tmp_path, fetched):  # noqa: F811
    """device cuda:1: the graph is captured on cuda:1, so its replays train (losses move)."""
    from embedgan.runtime import select_device

    device = select_device("cuda:1")
    out = run(tmp_path, fetched, "second", three_hundred_steps(), ALL_ON, device=device)
    history = json.loads((out / "history.json").read_text())
    assert history["device"] == "cuda:1" and history["graph_capture"] is True
    losses = [row["loss_g"] for row in history["loss"]]
    assert len(set(losses)) > 1, "constant losses: the replayed graph did nothing"
