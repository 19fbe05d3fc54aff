"""The CPU speed-ups and bf16, by hand: each switch computes what the plain path computes (to
float rounding), applies where it says it does, and is off when the config turns it off."""

import pytest
import torch
import torch.nn.functional as F

from conftest import EXPERIMENT_KINDS
from embedgan.machine import host
from embedgan.machine.process import SPEEDUPS
from embedgan.networks.generators import ProjectionConvTranspose2d
from embedgan.training import objectives
from embedgan.training.objectives import Targets, get_objective, judge_both
from embedgan.training.train import Trainer
from test_objectives import trainer_for
from test_train import CPU, keras_dataset, settings

OFF = dict.fromkeys(SPEEDUPS, False)
CGAN = dict(generator="dcgan", discriminator="projection", objective="hinge", spectral_norm=False,
            noise_dim=8, width=8, batch_size=8)


def one_batch(trainer):
    batch = torch.arange(trainer.settings.batch_size)
    return trainer.images[batch].float().div(127.5).sub(1), trainer.labels[batch]


@pytest.mark.parametrize("objective", ["bce_fake_zeros", "hinge", "acgan"])
def test_one_discriminator_call_on_real_and_fake_gives_the_two_calls_losses(objective):
    kind = {"bce_fake_zeros": EXPERIMENT_KINDS["exp1"], "hinge": CGAN,
            "acgan": {**EXPERIMENT_KINDS["exp1"], "objective": "acgan", "noise_dim": 8}}[objective]
    trainer = trainer_for("exp4", **kind)
    discriminator = trainer.nets.discriminator.eval()  # no dropout: both ways see one network
    real, labels = one_batch(trainer)
    fake = torch.rand_like(real) * 2 - 1
    targets = Targets(labels, F.one_hot(labels, 10).float(), labels)
    chosen = get_objective(objective)
    apart = chosen.discriminator_loss(discriminator, real, fake, targets, joint=False)
    joint = chosen.discriminator_loss(discriminator, real, fake, targets, joint=True)
    torch.testing.assert_close(joint, apart, rtol=1e-5, atol=1e-6)


def test_the_joint_call_stacks_the_batches_and_splits_the_answers():
    seen = []

    def discriminator(images, condition):
        seen.append((len(images), condition.tolist()))
        return images.sum(dim=1), -images.sum(dim=1)

    real, fake = torch.ones(2, 3), torch.zeros(2, 3)
    (real_a, real_b), (fake_a, fake_b) = judge_both(discriminator, real, fake, torch.tensor([4, 5]), joint=True)
    assert seen == [(4, [4, 5, 4, 5])]
    assert real_a.tolist() == [3, 3] and fake_a.tolist() == [0, 0] and real_b.tolist() == [-3, -3]


def test_the_joint_call_is_used_only_where_no_batchnorm_couples_the_batch(mirror):
    dataset = keras_dataset(mirror, "cifar10")
    exp1 = Trainer(settings(**EXPERIMENT_KINDS["exp1"]), dataset, CPU)
    exp3 = Trainer(settings(**EXPERIMENT_KINDS["exp3"], batch_size=32), dataset, CPU)
    assert exp1.joint_d and not exp3.joint_d  # exp3's CNN discriminator has BatchNorm
    assert not Trainer(settings(**EXPERIMENT_KINDS["exp1"]), dataset, CPU, {"joint_discriminator": False}).joint_d
    calls = []
    original = objectives.judge_both
    try:
        objectives.judge_both = lambda *a, joint: calls.append(joint) or original(*a, joint=joint)
        real, labels = one_batch(exp1)
        exp1.train_step(real, labels, "both")
    finally:
        objectives.judge_both = original
    assert calls == [True]


def test_fused_adam_and_channels_last_train_what_the_plain_path_trains(mirror):
    """One step of exp1 and of the projection cGAN with every CPU speed-up on, and off: the
    same losses to float rounding, the same weights but where a gradient is float noise; the
    switches are honoured."""
    dataset = keras_dataset(mirror, "cifar10")
    for kind in (EXPERIMENT_KINDS["exp1"], {**CGAN, "dataset": "cifar10"}):
        fast, plain = (Trainer(settings(**kind), dataset, CPU, switches) for switches in (None, OFF))
        assert fast.g_optimizer.defaults["fused"] and plain.g_optimizer.defaults["foreach"]
        assert not plain.g_optimizer.defaults["fused"]
        layers = [m for m in fast.nets.generator.modules() if isinstance(m, torch.nn.modules.conv._ConvNd)]
        nhwc = [m.weight for m in layers if not isinstance(m, ProjectionConvTranspose2d)]
        assert nhwc and all(w.is_contiguous(memory_format=torch.channels_last) for w in nhwc)
        # A 1x1-input transposed convolution runs as a matmul of its weight: left as it is.
        assert all(m.weight.is_contiguous() for m in layers if isinstance(m, ProjectionConvTranspose2d))
        assert all(p.is_contiguous() for p in plain.nets.generator.parameters())
        real, labels = one_batch(fast)
        for trainer in (fast, plain):
            trainer.nets.discriminator.eval()  # the same dropout (none) in both
        torch.manual_seed(1)
        fast_losses = fast.train_step(real.contiguous(memory_format=torch.channels_last), labels, "both")
        torch.manual_seed(1)
        plain_losses = plain.train_step(real, labels, "both")
        for key in plain_losses:
            torch.testing.assert_close(fast_losses[key], plain_losses[key], rtol=1e-5, atol=1e-6)
        # Adam's first step moves a weight by lr times the sign of its gradient: where a gradient
        # is float noise its sign may flip (a difference of 2 lr), elsewhere the weights agree.
        lr = fast.settings.optimizer.lr
        apart = torch.cat([(a - b).abs().flatten() for a, b in
                           zip(fast.nets.generator.parameters(), plain.nets.generator.parameters(), strict=True)])
        assert apart.max() <= 2 * lr * (1 + 1e-3) and (apart > 1e-6).float().mean() < 0.01


def test_bf16_trains_in_bf16_only_where_the_cpu_computes_it(mirror, monkeypatch, caplog):
    dataset = keras_dataset(mirror, "mnist")
    monkeypatch.setattr(host, "cpu_flags", lambda: {"avx2", "fma"})
    assert Trainer(settings(), dataset, CPU, precision="bf16").precision == "fp32"
    assert "no native bfloat16: training in fp32" in caplog.text
    monkeypatch.setattr(host, "cpu_flags", lambda: {"avx2", "avx512f", "avx512_bf16"})
    trainer = Trainer(settings(**{**EXPERIMENT_KINDS["exp1"], "dataset": "mnist"}), dataset, CPU, precision="bf16")
    assert trainer.precision == "bf16"
    inside, answers, losses_seen = [], [], []
    # The layers in bf16; the output's sigmoid in float32 (Float32Output).
    trainer.nets.discriminator[-2].register_forward_hook(lambda m, i, out: inside.append(out.dtype))
    trainer.nets.discriminator.register_forward_hook(lambda m, i, out: answers.append(out.dtype))
    original = F.binary_cross_entropy
    monkeypatch.setattr(F, "binary_cross_entropy", lambda p, t, **k: losses_seen.append(p.dtype) or original(p, t, **k))
    real, labels = one_batch(trainer)
    losses = trainer.train_step(real, labels, "both")
    assert set(inside) == {torch.bfloat16} and set(answers) == set(losses_seen) == {torch.float32}
    assert all(loss.dtype == torch.float32 and torch.isfinite(loss) for loss in losses.values())


def test_a_gpu_with_bf16_trains_in_bf16(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert host.bf16_native(torch.device("cuda", 0))
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert not host.bf16_native(torch.device("cuda", 0))
