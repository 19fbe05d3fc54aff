"""Options beyond the notebook, with known answers: conditioning augmentation's KL, the image
prior, caption templates, morphs, held-out captions."""

import numpy as np
import pytest
import torch

from conftest import OFFLINE_ENCODER, TRAIN_SETTINGS, class_images, settings_of
from embedgan.config.settings import ImagePrior, Settings
from embedgan.datasets import data
from embedgan.evaluation.probes import caption_sets, images_of_codes, morph_images
from embedgan.networks.generators import build_generator
from embedgan.networks.inputs import ConditioningAugmentation, InputLayout, kl_to_standard_normal
from embedgan.networks.sampling import TrainedGenerator
from embedgan.training.objectives import Targets, image_prior_penalty, total_variation
from embedgan.training.train import Trainer, condition_codes

CPU = torch.device("cpu")


def test_the_kl_of_a_standard_normal_is_zero():
    zeros = torch.zeros(5, 7)
    assert kl_to_standard_normal(zeros, zeros).item() == 0


def test_the_kl_and_its_gradient_by_hand():
    mu = torch.tensor([[1.0, -2.0], [0.5, 0.0]], dtype=torch.float64, requires_grad=True)
    log_variance = torch.tensor([[0.0, 1.0], [-1.0, 2.0]], dtype=torch.float64, requires_grad=True)
    kl = kl_to_standard_normal(mu, log_variance)
    kl.backward()
    m, v = mu.detach(), log_variance.detach()
    # 0.5 * (mu^2 + e^v - 1 - v), mean over the 2 rows and the 2 dimensions (StackGAN's KL_loss)
    expected = 0.5 * (m**2 + v.exp() - 1 - v).sum() / 4
    assert kl.item() == pytest.approx(expected.item(), rel=1e-12)
    torch.testing.assert_close(mu.grad, m / 4)  # d/dmu = mu / (rows * dimensions)
    torch.testing.assert_close(log_variance.grad, 0.5 * (v.exp() - 1) / 4)


def test_the_kl_is_per_dimension_whatever_the_codes_width():
    """A code of 4 or 400 dimensions, each N(1, 1) against N(0, 1): 0.5 nats per dimension."""
    for width in (4, 400):
        ones = torch.ones(3, width, dtype=torch.float64)
        assert kl_to_standard_normal(ones, torch.zeros_like(ones)).item() == pytest.approx(0.5, rel=1e-12)


def test_augmentation_draws_around_the_mean_with_its_variance():
    augmentation = ConditioningAugmentation(3).double()
    with torch.no_grad():
        augmentation.linear.weight.zero_()
        augmentation.linear.bias.copy_(torch.tensor([1.0, 2.0, 3.0, 0.0, 2 * np.log(2), 0.0]))
    draws, kl = augmentation(torch.zeros(20_000, 3, dtype=torch.float64), torch.Generator().manual_seed(0))
    torch.testing.assert_close(draws.mean(0), torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64), atol=0.05, rtol=0)
    torch.testing.assert_close(draws.std(0), torch.tensor([1.0, 2.0, 1.0], dtype=torch.float64), atol=0.05, rtol=0)
    # KL of N((1, 2, 3), diag(1, 4, 1)): 0.5 * (1 + 4 + 9 + (4 - 1 - ln 4)), per dimension (3)
    assert kl.item() == pytest.approx(0.5 * (14 + 3 - np.log(4)) / 3, rel=1e-12)


def test_the_total_variation_of_a_constant_image_is_zero_and_by_hand():
    assert total_variation(torch.full((2, 3, 5, 5), 0.7)).item() == 0
    stripes = torch.tensor([[[[0.0, 0.5, 0.0], [0.0, 0.5, 0.0]]]])  # 1 x 1 x 2 x 3
    # vertical neighbours equal; horizontal ones differ by 0.5 everywhere
    assert total_variation(stripes).item() == 0.5
    prior = ImagePrior(tv_weight=0.5, l2_weight=2.0)
    assert image_prior_penalty(stripes, prior).item() == pytest.approx(0.5 * 0.5 + 2.0 * 0.5 / 6)


def text_settings(**changes):
    return {**TRAIN_SETTINGS, "dataset": "cifar10", "conditioning": "text", "generator": "linear_deconv",
            "discriminator": None, "objective": "pixel_mse", "text_encoder": OFFLINE_ENCODER, **changes}


def tiny_dataset(name):
    x_train, y_train = class_images(name, 4, seed=1)
    x_test, y_test = class_images(name, 2, seed=2)
    if x_train.ndim == 3:
        x_train, x_test = x_train[..., None], x_test[..., None]
    return data.Dataset(x_train=x_train, y_train=y_train.astype(np.int64), x_test=x_test,
                        y_test=y_test.astype(np.int64), classes=data.DATASETS[name].classes)


def test_template_sampling_draws_every_template_for_every_image():
    templates = ["{name}", "a photo of a {name}", "a {name} here", "look: {name}"]
    trainer = Trainer(text_settings(caption_templates=templates), tiny_dataset("cifar10"), CPU)
    drawn = []
    original = trainer.nets.conditioner.forward
    trainer.nets.conditioner.forward = lambda labels, rows=None: drawn.append(rows) or original(labels, rows)
    labels = torch.arange(10).repeat(20)
    condition_codes(trainer.nets.conditioner, labels, trainer.settings, trainer.template_rng)
    counts = torch.bincount(drawn[0], minlength=len(templates))
    assert drawn[0].shape == labels.shape and (counts > 20).all(), counts  # 200 draws of 4
    conditioner = trainer.nets.conditioner
    assert conditioner.captions[3 * 10 + 5] == "look: dog"
    # the code of (template 3, class 5) is that caption's own code
    codes = conditioner(torch.tensor([5]), torch.tensor([3]))
    torch.testing.assert_close(codes, conditioner.encode_texts(["look: dog"]), rtol=1e-4, atol=1e-5)


def test_one_template_draws_nothing_and_freezing_keeps_bert_out_of_the_optimiser():
    trainer = Trainer(text_settings(freeze_encoder=True), tiny_dataset("cifar10"), CPU)
    assert trainer.template_rng is None
    optimised = {id(p) for group in trainer.g_optimizer.param_groups for p in group["params"]}
    assert not any(id(p) in optimised for p in trainer.nets.conditioner.bert.parameters())
    assert all(id(p) in optimised for p in trainer.nets.conditioner.projection.parameters())


def trained_generator(noise_dim=0, augmentation=False):
    torch.manual_seed(0)
    settings = Settings.of({**TRAIN_SETTINGS, "noise_dim": noise_dim,
                            "conditioning_augmentation": {"kl_weight": 1.0} if augmentation else None})
    layout = InputLayout(100, noise_dim)
    generator = build_generator(settings_of(generator="deconv"), layout, (1, 28, 28)).eval()
    return TrainedGenerator(generator, layout, torch.randn(10, 100),
                            ConditioningAugmentation(100).eval() if augmentation else None,
                            settings, data.DATASETS["mnist"].classes, {})


@pytest.mark.parametrize("noise_dim, augmentation", [(0, False), (8, False), (0, True)])
def test_a_morphs_end_columns_are_the_two_classes_images(noise_dim, augmentation):
    trained = trained_generator(noise_dim, augmentation)
    morph = morph_images(trained, [["1", "7"], ["3", "8"]], steps=5, seed=4)
    assert morph.shape == (2, 5, 1, 28, 28)
    ends = images_of_codes(trained, trained.class_codes[[1, 7, 3, 8]], seed=4)
    np.testing.assert_array_equal(morph[:, 0], ends[[0, 2]])
    np.testing.assert_array_equal(morph[:, -1], ends[[1, 3]])
    assert not np.array_equal(morph[0, 2], morph[0, 0])  # the middle is another image


def test_held_out_captions_never_repeat_a_training_caption():
    trained = trained_generator()
    trained.settings = Settings.of(text_settings(caption_templates=["{name}", "a photo of a {name}"]))
    trained.classes = data.DATASETS["cifar10"].classes
    sets = caption_sets(trained, {"templates": ["a blurry {name}"], "synonyms": {"cat": ["kitten"], "ship": ["boat"]}})
    assert len(sets["seen"]) == 20 and ("a photo of a cat", 3) in sets["seen"]
    assert sets["unseen_templates"][8] == ("a blurry ship", 8)
    assert sets["synonyms"] == [("kitten", 3), ("a photo of a kitten", 3), ("boat", 8), ("a photo of a boat", 8)]
    seen = {caption for caption, _ in sets["seen"]}
    assert not seen & {c for c, _ in sets["unseen_templates"] + sets["synonyms"]}


def test_the_kl_weight_defaults_to_stackgans():
    assert Settings.of({**TRAIN_SETTINGS, "conditioning_augmentation": {}}).conditioning_augmentation.kl_weight == 2.0


def test_the_options_are_off_by_default():
    settings = Settings.of(TRAIN_SETTINGS)
    assert settings.conditioning_augmentation is None and settings.image_prior is None
    assert settings.templates == ("{name}",) and not settings.freeze_encoder and not settings.stochastic
    trainer = Trainer(TRAIN_SETTINGS, tiny_dataset("mnist"), CPU)
    assert trainer.nets.augmentation is None and "augmentation" not in trainer.nets.modules()


def test_the_generators_loss_adds_the_weighted_kl_and_the_image_prior():
    options = {"conditioning_augmentation": {"kl_weight": 2.0}, "image_prior": {"tv_weight": 0.3, "l2_weight": 0.1}}
    trainer = Trainer({**TRAIN_SETTINGS, **options}, tiny_dataset("mnist"), CPU)
    real = torch.rand(8, 1, 28, 28) * 2 - 1
    labels = torch.arange(8)
    torch.manual_seed(5)
    with torch.no_grad():
        codes, kl = trainer.nets.input_layout.draw(
            condition_codes(trainer.nets.conditioner, labels, trainer.settings, None)[0], trainer.nets.augmentation
        )
        fake = trainer.nets.generator(codes)
        objective = trainer.objective.generator_loss(
            trainer.nets.discriminator, fake, real, Targets(labels, torch.eye(10)[labels], labels)
        )
        prior = 0.3 * total_variation(fake) + 0.1 * fake.square().mean()
    torch.manual_seed(5)  # the same augmentation draws and dropout masks in the step
    loss_g = trainer.train_step(real, labels, "generator")["loss_g"]
    assert kl > 0 and prior > 0
    assert loss_g.item() == pytest.approx((objective + 2.0 * kl + prior).item(), rel=1e-5)
