"""The CUDA paths, on a GPU: skipped with the reason where there is none.

Run them alone on a GPU machine with `python -m pytest -m cuda`. What a CPU can check of the
same path (device selection, the capture's failure) is in tests/test_cuda_path.py.
"""

import json

import pytest
import torch

from conftest import OFFLINE_ENCODER
from embedgan.training.capture import WARMUP_STEPS, GraphedStep
from embedgan.training.train import Preempted, Trainer
from test_train import fetched, keras_dataset, run, settings  # noqa: F401  (fetched: a fixture)

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine"),
]

CUDA = torch.device("cuda")
ALL_ON = {"fused_optimizer": True, "cudnn_benchmark": True, "graph_capture": True}
ALL_OFF = dict.fromkeys(ALL_ON, False)
# A GAN's trajectory amplifies rounding differences (fused vs per-tensor Adam, cuDNN's choice
# of algorithm), so runs are compared on their losses, not their weights: the mean loss over
# the last third of the run within this relative tolerance, or this absolute one for losses
# near zero.
LOSS_RTOL, LOSS_ATOL = 0.05, 0.02
# The step recorded as a graph: the first WARMUP_STEPS steps run eagerly, later ones replay it.
CAPTURED_AT = WARMUP_STEPS + 1
EXPERIMENTS = {
    "exp4-like": {},
    "exp1-like": {"dataset": "cifar10", "discriminator": "mlp_sigmoid", "objective": "bce_fake_zeros"},
    "exp3-like (BatchNorm)": {
        "dataset": "cifar10", "generator": "linear_deconv", "discriminator": "cnn_softmax",
        "objective": "bce_fake_complement",
    },
}


def loss_rows(out) -> list[dict]:
    return json.loads((out / "history.json").read_text())["loss"]


def late_losses(out) -> dict[str, float]:
    rows = loss_rows(out)
    late = rows[2 * len(rows) // 3 :]
    keys = [key for key in ("loss_d", "loss_g") if key in late[0]]
    return {key: sum(r[key] for r in late) / len(late) for key in keys}


def assert_same_losses(out, reference) -> None:
    ours, theirs = late_losses(out), late_losses(reference)
    assert ours.keys() == theirs.keys()
    for key in ours:
        assert ours[key] == pytest.approx(theirs[key], rel=LOSS_RTOL, abs=LOSS_ATOL), key


def assert_replays_train(out) -> None:
    """Losses logged after the capture change: the replayed graph trains."""
    replayed = [row["loss_g"] for row in loss_rows(out) if row["step"] > CAPTURED_AT]
    assert len(set(replayed)) > 1, "constant losses after the capture: the graph did nothing"


def three_hundred_steps(**changes):
    # 120 tiny training images in batches of 4: 30 steps per epoch.
    return settings(batch_size=4, epochs=10, history_points=2, **changes)


@pytest.mark.parametrize("experiment", list(EXPERIMENTS))
def test_captured_fused_training_matches_eager_training(tmp_path, fetched, caplog, experiment):  # noqa: F811
    caplog.set_level("INFO")
    chosen = three_hundred_steps(**EXPERIMENTS[experiment])
    fast = run(tmp_path, fetched, "fast", chosen, ALL_ON, device=CUDA)
    assert "captured the 'both' training step as a CUDA graph" in caplog.text
    history = json.loads((fast / "history.json").read_text())
    assert history["cuda_graph_steps"] == ["both"] and history["steps"] == 300
    assert history["device"] == f"cuda:{torch.cuda.current_device()}"
    assert_replays_train(fast)
    eager = run(tmp_path, fetched, "eager", chosen, ALL_OFF, device=CUDA)
    assert_same_losses(fast, eager)


def generator_weights(trainer) -> dict:
    return {k: v.clone() for k, v in trainer.nets.generator.state_dict().items()}


def test_every_replay_changes_the_weights(mirror):
    trainer = Trainer(three_hundred_steps(), keras_dataset(mirror, "mnist"), CUDA, ALL_ON)
    batch = torch.arange(4, device=trainer.device)
    real, labels = trainer.images[batch].float().div(127.5).sub(1), trainer.labels[batch]
    for _ in range(CAPTURED_AT):
        trainer.step_batch(real, labels, "both")
    assert trainer.graphed["both"].captured is not None
    before = generator_weights(trainer)
    trainer.step_batch(real, labels, "both")
    after_one = generator_weights(trainer)
    trainer.step_batch(real, labels, "both")
    after_two = generator_weights(trainer)
    for name in before:
        if before[name].is_floating_point():
            assert not torch.equal(before[name], after_one[name]), name
            assert not torch.equal(after_one[name], after_two[name]), name


def test_partial_last_batches_run_eagerly_beside_the_graph(tmp_path, fetched):  # noqa: F811
    """120 images in batches of 16: seven replays and one eager step of 8 images per epoch."""
    chosen = settings(batch_size=16, epochs=30, history_points=2)
    fast = run(tmp_path, fetched, "fast", chosen, ALL_ON, device=CUDA)
    history = json.loads((fast / "history.json").read_text())
    assert history["steps"] == 30 * 8 and history["cuda_graph_steps"] == ["both"]
    assert_replays_train(fast)
    assert_same_losses(fast, run(tmp_path, fetched, "eager", chosen, ALL_OFF, device=CUDA))


def test_two_replays_draw_different_noise(tmp_path, fetched):  # noqa: F811
    device = torch.device("cuda", torch.cuda.current_device())
    graphed = GraphedStep(lambda x: {"noise": torch.randn(4, 8, device=device) + x}, device, "noise")
    zero = torch.zeros(4, 8, device=device)
    for _ in range(CAPTURED_AT):
        graphed(zero)
    first, second = graphed(zero)["noise"], graphed(zero)["noise"]
    assert graphed.captured is not None and not torch.equal(first, second)
    # And a noisy experiment's captured run trains like its eager one.
    chosen = three_hundred_steps(noise_dim=8)
    fast = run(tmp_path, fetched, "fast", chosen, ALL_ON, device=CUDA)
    assert_replays_train(fast)
    assert_same_losses(fast, run(tmp_path, fetched, "eager", chosen, ALL_OFF, device=CUDA))


def test_a_text_conditioned_run_trains_on_the_gpu(tmp_path, fetched):  # noqa: F811
    """BERT on the GPU, eagerly (text steps are not captured), with fused Adam or without."""
    chosen = settings(
        dataset="cifar10", conditioning="text", text_encoder=OFFLINE_ENCODER,
        generator="linear_deconv", discriminator=None, objective="pixel_mse", batch_size=30,
        epochs=25, history_points=2, optimizer={"lr": 1e-4, "betas": [0.5, 0.999]},
    )
    fast = run(tmp_path, fetched, "fast", chosen, ALL_ON, device=CUDA)
    history = json.loads((fast / "history.json").read_text())
    assert history["device"].startswith("cuda:") and history["cuda_graph_steps"] == []
    rows = loss_rows(fast)
    assert rows[-1]["loss_g"] < rows[0]["loss_g"]  # the pixel loss falls
    assert_same_losses(fast, run(tmp_path, fetched, "eager", chosen, ALL_OFF, device=CUDA))


def test_a_run_stopped_at_a_fixed_step_resumes_on_the_gpu_to_the_uninterrupted_losses(
    tmp_path, fetched, sigterm_at_step  # noqa: F811
):
    """SIGTERM at step 100 of 300 (as Slurm preempts; after the capture, whatever the GPU's
    speed), then the same run again: the checkpoint is read on the CPU and the run goes on on
    the GPU, with capture and fused Adam as configured."""
    chosen = three_hundred_steps()
    reference = run(tmp_path, fetched, "reference", chosen, ALL_ON, device=CUDA)
    undisturbed = sigterm_at_step(100)
    with pytest.raises(Preempted, match="SIGTERM at step 100: checkpoint saved"):
        run(tmp_path, fetched, "stopped", chosen, ALL_ON, device=CUDA)
    undisturbed()
    out = run(tmp_path, fetched, "stopped", chosen, ALL_ON, device=CUDA)
    history = json.loads((out / "history.json").read_text())
    assert history["device"].startswith("cuda") and history["steps"] == 300
    assert history["cuda_graph_steps"] == ["both"]
    assert_same_losses(out, reference)


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two or more CUDA GPUs")
def test_training_on_the_second_gpu_trains_there(tmp_path, fetched):  # noqa: F811
    """device cuda:1: the graph is captured on cuda:1, so its replays train (losses move)."""
    from embedgan.machine.devices import select_device

    device = select_device("cuda:1")
    out = run(tmp_path, fetched, "second", three_hundred_steps(), ALL_ON, device=device)
    history = json.loads((out / "history.json").read_text())
    assert history["device"] == "cuda:1" and history["graph_capture"] is True
    assert_replays_train(out)
