"""Every stage of the workflow on a CUDA device: emulated on a CPU (tests/emulated_cuda.py), so
that what a GPU would refuse (a tensor of the device mixed with a CPU tensor, a CPU tensor
indexed on the device, a generator of the other device, NumPy of a device tensor) fails here
too; the real one where a GPU is at hand (scripts/gpu_check.py runs this file there).

Each stage runs its own Snakemake script, as the workflow's job does, with the rule's inputs,
params and outputs (a stand-in for the `snakemake` object) and `device: cuda`: the training of
each family of generator, discriminator and objective, label and text, the reference classifier,
sample, evaluate (PRDC and Frechet distances), CAS, captions, prompts, morph, and a resumed run.
"""

import collections
import contextlib
import functools
import json
import os
import runpy
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from conftest import OFFLINE_ENCODER, REPO, write_keras_npz
from embedgan.config import paths, runs
from embedgan.config.settings import canonical, load_config, resolve
from embedgan.datasets import data
from embedgan.documents import files
from emulated_cuda import DEVICE, DEVICE_OPS, DeviceRuleError, emulated_cuda

# One run of each family of networks and objectives, tiny; `device: cuda`, no graph capture
# (the emulation does not capture), 1 thread.
EXPERIMENTS = {
    "exp1": {"epochs": 1, "batch_size": 16},  # MLP sigmoid D, fakes to zeros (CIFAR-10)
    "exp2": {  # text: BERT fine-tuned, pixel MSE, no D
        "epochs": 1, "batch_size": 60, "caption_templates": ["{name}", "a photo of a {name}"],
        "heldout_captions": {"templates": ["a blurry {name}"], "synonyms": {"cat": ["kitten"]}},
        "prompts": ["a kitten", "a red car"], "morphs": [["cat", "dog"]],
    },
    "exp3": {"epochs": 1, "batch_size": 32},  # CNN softmax D with BatchNorm, fakes to 1 - one-hot
    "exp4": {"epochs": 1, "batch_size": 16},  # a fixed classifier as D
    "exp4_acgan": {"based_on": "exp4", "noise_dim": 8, "objective": "acgan"},
    "exp4_ca": {  # conditioning augmentation and an image prior
        "based_on": "exp4", "conditioning_augmentation": {"kl_weight": 1.0},
        "image_prior": {"tv_weight": 0.1, "l2_weight": 0.01}, "morphs": [["1", "7"]],
    },
    "cgan": {  # projection cGAN: spectral norm, hinge, moving average, mode seeking, 2 D steps
        "based_on": "exp4_acgan", "generator": "dcgan", "discriminator": "projection",
        "spectral_norm": True, "objective": "hinge", "g_ema": 0.9, "width": 4, "d_steps": 2,
        "mode_seeking": 1.0, "batch_size": 32,
    },
    "cgan_bn": {"based_on": "cgan", "generator_conditioning": "batchnorm", "mode_seeking": 0.0},
    "cgan_text": {  # text cGAN: frozen encoder, mean pooling, D's own projection of the states
        "based_on": "exp2", "generator": "dcgan", "discriminator": "projection", "spectral_norm": True,
        "objective": "hinge", "noise_dim": 8, "batch_size": 32, "g_ema": 0.9, "width": 4,
        "freeze_encoder": True, "text_pooling": "mean", "scale_codes": True,
        "discriminator_condition": "states",
    },
}
CONFIG_OVERRIDES = {
    "device": "cuda",
    "text_encoder": OFFLINE_ENCODER,
    "speedups": {"graph_capture": False},
    "classifiers": {"mnist": {"epochs": 1, "batch_size": 32}, "cifar10": {"epochs": 1, "batch_size": 32}},
    "eval_samples_per_class": 2,
    "inception_metrics": False,
    "cas": {"images_per_class": 4, "epochs": 1, "real_seeds": 1},
    "experiment_defaults": {"history_points": 2},
    "experiments": EXPERIMENTS,
}
TEXT = ("exp2", "cgan_text")
ON_GPU = torch.cuda.is_available()  # a real GPU: the stages run on it, not on the emulation


def run_script(script: str, log, config: dict, threads: int = 1, **namespaces):
    """A workflow script run in this process as its rule runs it, `snakemake` standing in."""
    fields = {key: SimpleNamespace(**namespaces.get(key, {})) for key in ("input", "output", "params", "wildcards")}
    job = SimpleNamespace(log=[str(log)], threads=threads, config=config, **fields)
    runpy.run_path(str(REPO / "scripts" / script), init_globals={"snakemake": job}, run_name="__main__")


class Stages:
    """A tiny study's folders and config, and its stages run on the emulated device."""

    def __init__(self, root):
        self.root = root
        mirror = root / "mirror"
        for name in ("mnist", "cifar10"):
            write_keras_npz(mirror / f"{name}.npz", name)
        self.config = load_config(overrides={**CONFIG_OVERRIDES, "mirror": str(mirror)})
        self.experiments = {exp: resolve(self.config, exp, data.DATASETS) for exp in self.config["experiments"]}
        self.ops: dict[str, collections.Counter] = {}  # each training's operations on the device
        for name in ("mnist", "cifar10"):
            files = self.files(paths.dataset_files(name))
            data.fetch(name, data.DATASETS[name], files["images"], files["manifest"], str(mirror), str(root / "downloads"))

    def files(self, named: dict) -> dict:
        return {key: str(self.root / path) for key, path in named.items()}

    def path(self, run_or_pattern) -> str:
        return str(self.root / run_or_pattern)

    def run(self, exp: str) -> runs.Run:
        settings = self.experiments[exp].settings
        return runs.runs_of(exp, settings.seed, settings.dataset, None)[0]

    def dataset(self, exp: str) -> dict:
        return self.files(paths.dataset_files(self.run(exp).dataset))

    def on_device(self, script: str, log: str, **namespaces) -> collections.Counter:
        """Run a stage's script on the device; the operations it computed there, by name."""
        with pytest.MonkeyPatch.context() as monkeypatch:
            with contextlib.nullcontext() if ON_GPU else emulated_cuda(monkeypatch):
                run_script(script, self.root / "logs" / log, self.config, **namespaces)
        return collections.Counter(DEVICE_OPS)

    def classifier(self, dataset: str) -> None:
        self.ops[f"classifier {dataset}"] = self.on_device(
            "train_classifier.py", f"classifier_{dataset}.log",
            input=self.files(paths.dataset_files(dataset)), wildcards={"dataset": dataset},
            output={"model": self.path(f"results/classifiers/{dataset}.pt"),
                    "summary": self.path(f"results/classifiers/{dataset}.json")},
            params={"settings": canonical(self.config["classifiers"][dataset]),
                    "checkpoint": self.path(f"results/classifiers/{dataset}.checkpoint.pt")},
        )

    def train(self, exp: str, log: str | None = None) -> None:
        run = self.run(exp)
        self.ops[exp] = self.on_device(
            "train_experiment.py", log or f"train_{exp}.log", input=self.dataset(exp),
            wildcards={"run": run.name},
            output={key: self.path(paths.run_file(run, key)) for key in ("model", "history", "snapshots")},
            params={"settings": self.experiments[exp].training, "precision": "fp32",
                    "checkpoint": self.path(paths.run_file(run, "checkpoint"))},
        )

    def model_stage(self, exp: str, script: str, outputs: tuple[str, ...], params: dict, inputs=()) -> collections.Counter:
        """A stage that reads the run's model (and `inputs`: the classifier, the data set); the
        operations it computed on the device."""
        run = self.run(exp)
        dataset = run.dataset
        available = {
            "snapshots": self.path(paths.run_file(run, "snapshots")),
            "classifier": self.path(f"results/classifiers/{dataset}.pt"),
            "classifier_summary": self.path(f"results/classifiers/{dataset}.json"),
            **self.dataset(exp),
        }
        return self.on_device(
            script, f"{script}_{exp}.log", wildcards={"run": run.name, "exp": exp},
            input={"model": self.path(paths.run_file(run, "model")), **{key: available[key] for key in inputs}},
            output={key: self.path(paths.run_file(run, key) if key in paths.ARTIFACTS else files.run_picture(run, key))
                    for key in outputs},
            params={"run": run.record(), **params},
        )


def computed_on_device(ops: collections.Counter, convolutions: bool = True) -> bool:
    """Whether a stage's main computation ran on the device: its convolutions (where its
    networks have them) and matrix products (on a real GPU the stage itself is the proof)."""
    matrix_products = ops["addmm"] + ops["mm"] + ops["bmm"]
    return ON_GPU or (matrix_products > 0 and (ops["convolution"] > 0 or not convolutions))


@pytest.fixture(scope="module")
def stages(tmp_path_factory):
    """The data sets fetched, the reference classifiers and every experiment trained on the
    emulated device (each a stage under test: a refusal fails the tests that need it)."""
    study = Stages(tmp_path_factory.mktemp("emulated"))
    for dataset in ("mnist", "cifar10"):
        study.classifier(dataset)
    for exp in EXPERIMENTS:
        study.train(exp)
    return study


@pytest.mark.skipif(ON_GPU, reason="a real GPU: the emulation stands in for none")
def test_the_emulated_device_refuses_what_cuda_refuses(monkeypatch):
    """The tool itself, each rule once, beside what CUDA allows."""
    with emulated_cuda(monkeypatch):
        on_device = torch.arange(6.0, device="cuda")
        assert on_device.device == DEVICE and on_device.is_cuda
        with pytest.raises(DeviceRuleError, match="same device"):
            on_device + torch.ones(6)
        with pytest.raises(DeviceRuleError, match="indexed tensor"):
            torch.arange(6)[on_device > 2]
        with pytest.raises(DeviceRuleError, match="generator"):
            torch.randperm(6, device="cuda", generator=torch.Generator())
        with pytest.raises(TypeError, match="numpy"):
            np.asarray(on_device)
        allowed = [
            on_device + torch.tensor(1.0),  # a CPU scalar
            on_device[torch.tensor([0, 2])],  # a device tensor indexed on the CPU
            torch.randperm(6, device="cuda", generator=torch.Generator(device="cuda")),
        ]
        assert all(t.device == DEVICE for t in allowed)
        host = on_device.cpu()
        assert host.device.type == "cpu" and not host.is_cuda and host.numpy().sum() == 15


@pytest.mark.parametrize("exp", list(EXPERIMENTS))
def test_training_runs_on_the_device(stages, exp):
    history = json.loads(open(stages.path(paths.run_file(stages.run(exp), "history"))).read())
    assert history["device"] == "cuda:0"
    assert computed_on_device(stages.ops[exp], convolutions=False), stages.ops[exp].most_common(5)
    assert history["device_name"].startswith("emulated") != ON_GPU
    assert history["loss"], exp


def test_the_reference_classifiers_train_on_the_device(stages):
    for dataset in ("mnist", "cifar10"):
        summary = json.loads(open(stages.path(f"results/classifiers/{dataset}.json")).read())
        assert 0 <= summary["test_accuracy"] <= 1 and summary["device"] == "cuda:0"
        assert computed_on_device(stages.ops[f"classifier {dataset}"])


@pytest.mark.parametrize("exp", ["exp4", "cgan", "exp2", "cgan_text", "exp4_ca"])
def test_sample_evaluate_cas_and_curve_run_on_the_device(stages, exp):
    sampled = stages.model_stage(exp, "sample_experiment.py", ("samples",), {"rows": 2})
    evaluated = stages.model_stage(
        exp, "evaluate_experiment.py", ("metrics", "nearest_images"),
        {"samples_per_class": stages.config["eval_samples_per_class"], "inception": False},
        inputs=("classifier", "classifier_summary", "images"),
    )
    scored = stages.model_stage(
        exp, "cas_experiment.py", ("cas",),
        {"classifier": canonical(stages.config["classifiers"][stages.run(exp).dataset]),
         "cas": canonical(stages.config["cas"]), "checkpoint": stages.path(paths.run_file(stages.run(exp), "cas_checkpoint"))},
        inputs=("images", "manifest"),
    )
    judged = stages.model_stage(
        exp, "judge_curve.py", ("curve",), {"samples_per_class": stages.config["eval_samples_per_class"]},
        inputs=("snapshots", "classifier", "classifier_summary", "images"),
    )
    # each stage's main computation ran on the device: the classifiers' convolutions and products
    assert computed_on_device(sampled, convolutions=False), sampled.most_common(5)
    for ops in (evaluated, scored, judged):
        assert computed_on_device(ops), ops.most_common(5)
    curve = json.loads(open(stages.path(paths.run_file(stages.run(exp), "curve"))).read())
    assert len(curve["points"]) == len(curve["steps"]) >= 2 and isinstance(curve["converged"], bool)
    assert curve["status"] == "too few points"  # 2 record points: no trend test
    metrics = json.loads(open(stages.path(paths.run_file(stages.run(exp), "metrics"))).read())
    cas = json.loads(open(stages.path(paths.run_file(stages.run(exp), "cas"))).read())
    # each summary records where it computed: the device's networks, not the request
    assert metrics["device"] == curve["device"] == cas["device"] == "cuda:0"
    assert 0 <= metrics["accuracy"] <= 1 and metrics["frechet_distance"] >= 0
    assert metrics["prdc"]["perfect"] is not None
    assert 0 <= json.loads(open(stages.path(paths.run_file(stages.run(exp), "cas"))).read())["test_accuracy"] <= 1


@pytest.mark.parametrize("exp", TEXT)
def test_captions_and_prompts_run_on_the_device(stages, exp):
    merged = stages.experiments[exp].merged
    judged = stages.model_stage(exp, "evaluate_captions.py", ("captions",),
                                {"heldout": canonical(merged.get("heldout_captions", {}))}, inputs=("classifier",))
    drawn = stages.model_stage(exp, "render_prompts.py", ("prompts",),
                               {"prompts": merged.get("prompts", ["a cat"])}, inputs=("classifier",))
    captions = json.loads(open(stages.path(paths.run_file(stages.run(exp), "captions"))).read())
    assert 0 <= captions["seen"]["accuracy"] <= 1
    assert computed_on_device(judged) and computed_on_device(drawn), (judged.most_common(5), drawn.most_common(5))


@pytest.mark.parametrize("exp", ["exp2", "exp4_ca"])
def test_morph_runs_on_the_device(stages, exp):
    drawn = stages.model_stage(exp, "render_morph.py", ("morph",), {"morphs": stages.experiments[exp].merged["morphs"]})
    assert os.path.getsize(stages.path(files.run_picture(stages.run(exp), "morph"))) > 0
    assert computed_on_device(drawn, convolutions=False), drawn.most_common(5)


@pytest.mark.skipif(ON_GPU, reason="a real GPU: the emulation stands in for none")
def test_the_devices_random_state_is_cudas_size_and_the_cpus_is_refused(monkeypatch):
    with emulated_cuda(monkeypatch):
        torch.manual_seed(3)
        state, cpu_before = torch.cuda.get_rng_state(), torch.get_rng_state()
        assert state.dtype == torch.uint8 and state.numel() == 16  # Philox: seed and offset
        first = torch.randn(4, device="cuda").cpu()
        assert torch.equal(torch.get_rng_state(), cpu_before)  # the device's draws leave the CPU's state alone
        torch.cuda.set_rng_state(state)
        torch.testing.assert_close(torch.randn(4, device="cuda").cpu(), first)  # the same draws again
        with pytest.raises(RuntimeError, match="RNG state is wrong size: a CUDA device's is 16 bytes"):
            torch.cuda.set_rng_state(torch.get_rng_state())  # the CPU's, as a checkpoint might mix them up


def test_an_interrupted_run_resumes_on_the_device(stages, sigterm_at_step):
    """Stopped by SIGTERM at a fixed step (as Slurm stops a job), then run again: it goes on
    from its checkpoint on the device and ends with the weights of the uninterrupted run."""
    exp, run = "cgan", stages.run("cgan")
    finished = torch.load(stages.path(paths.run_file(run, "model")), weights_only=True)["networks"]
    undisturbed = sigterm_at_step(3)
    with pytest.raises(SystemExit, match="SIGTERM at step 3: checkpoint saved"):
        stages.train(exp, log="interrupted.log")
    undisturbed()
    stages.train(exp, log="resumed.log")
    assert "resumed from" in (stages.root / "logs" / "resumed.log").read_text()
    resumed = torch.load(stages.path(paths.run_file(run, "model")), weights_only=True)["networks"]
    for net, weights in finished.items():
        for name, value in weights.items():
            torch.testing.assert_close(resumed[net][name], value, rtol=0, atol=0, msg=f"{net}.{name}")


def test_inception_metrics_run_on_the_device(monkeypatch):
    """FID, IS and KID (the `inception_metrics: true` part of evaluate) with every input on the
    device, a fixed random projection on the device standing in for Inception-v3 (whose
    weights an offline run lacks)."""
    from conftest import class_images
    from embedgan.datasets.images import nhwc_to_nchw
    from embedgan.evaluation import inception

    # A few of KID's random subsets: each op runs through the emulation's Python dispatch.
    monkeypatch.setattr(inception, "kernel_inception_distance",
                        functools.partial(inception.kernel_inception_distance, subsets=4))

    def extractor(images: torch.Tensor):
        pixels = images.flatten(1).double() / 255
        projection = torch.randn(pixels.shape[1], 16, generator=torch.Generator(device=images.device).manual_seed(0),
                                 dtype=torch.float64, device=images.device)
        features = torch.tanh(pixels @ projection / 10)
        return features, features[:, :10] * 3

    x_test, y_test = class_images("mnist", 20, seed=2)
    generated, labels = class_images("mnist", 6, seed=3)
    context = contextlib.nullcontext() if ON_GPU else emulated_cuda(monkeypatch)
    with context:
        device = torch.device("cuda")
        found = inception.inception_metrics(
            extractor, nhwc_to_nchw(generated[..., None]).to(device), torch.from_numpy(labels).long().to(device),
            nhwc_to_nchw(x_test[..., None]).to(device), torch.from_numpy(y_test).long().to(device), 10, draws=3,
        )
    assert found["fid"] >= 0 and found["fid_perfect"]["std"] >= 0 and found["is"] > 0


def test_the_report_is_written_from_runs_made_on_the_device(stages, monkeypatch):
    """The chain's end on the device's outputs: real-image CAS, then (for the runs that lack
    them) sample, evaluate and CAS, then the report from what they wrote (no device tensor may
    leak into a file the report reads)."""
    from embedgan.documents import plan
    from embedgan.documents.report import REPORT, write_document
    from embedgan.documents.study import read_study

    chosen = ["exp1", "exp3", "exp4"]  # none based on another: no ladder, no noise pair
    for dataset in ("mnist", "cifar10"):
        real_ops = stages.on_device(
            "cas_real.py", f"cas_real_{dataset}.log", input=stages.files(paths.dataset_files(dataset)),
            wildcards={"dataset": dataset}, output={"cas": stages.path(paths.cas_real_file(dataset))},
            params={"classifier": canonical(stages.config["classifiers"][dataset]), "cas": canonical(stages.config["cas"]),
                    "checkpoint": stages.path(paths.classifier_file(dataset, "cas_real_checkpoint"))},
        )
        assert computed_on_device(real_ops), real_ops.most_common(5)
        real = json.loads(open(stages.path(paths.cas_real_file(dataset))).read())
        assert {run["device"] for run in real["runs"]} == {"cuda:0"}  # trained and scored on the device
    for exp in chosen:
        if not os.path.exists(stages.path(paths.run_file(stages.run(exp), "curve"))):
            test_sample_evaluate_cas_and_curve_run_on_the_device(stages, exp)
    resolved = {exp: stages.experiments[exp] for exp in chosen}
    runs_of = {exp: [stages.run(exp)] for exp in chosen}
    probes = dict.fromkeys(chosen, [])
    study_params = plan.study_params(resolved, runs_of, probes, {})
    inputs = SimpleNamespace(**plan.document_inputs(runs_of, probes, ["cifar10", "mnist"]))
    monkeypatch.chdir(stages.root)  # the documents' paths are the workflow folder's
    write_document(read_study(study_params, inputs, stages.root / "results"), REPORT, "results/report.md")
    report = (stages.root / "results" / "report.md").read_text()
    assert all(f"## {exp}: " in report for exp in chosen)
    assert "| CAS (real images) |" in report and "| exp4 | 0 | 1 |" in report
