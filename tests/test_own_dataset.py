"""A data set of your own: an image folder of 3 classes of small colour images runs through the
whole workflow (fetch, training, the reference classifier, every metric, the pictures, the
report), and `embedgan sample` draws its classes by name."""

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from conftest import copy_workflow
from embedgan.datasets import custom
from embedgan.errors import ConfigError, DataSourceError
from test_workflow import snakemake

CLASSES = ("blue", "green", "red")  # the folders' names, in sorted order
SIZE = 16


def write_folder(root: Path, per_class: int = 20, size: int = SIZE, grey: bool = False) -> Path:
    """A class per folder: noisy squares of the class's colour on a dark background, PNG."""
    rng = np.random.default_rng(0)
    for label, name in enumerate(CLASSES):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
            top, left = rng.integers(0, size // 2, 2)
            pixels[top : top + size // 2, left : left + size // 2, 2 - label] = 230
            image = Image.fromarray(pixels)
            (image.convert("L") if grey else image).save(root / name / f"{i:03d}.png")
    return root


OWN = {
    "train_threads": 1,
    "real_rows": 2,
    "inception_metrics": False,
    "eval_samples_per_class": 2,
    "cas": {"images_per_class": 4, "epochs": 1, "real_seeds": 2},
    "classifiers": {"squares": {"epochs": 2, "batch_size": 16, "lr": 3.0e-3, "seed": 0}},
    "run_only": ["squares_notebook", "squares_cgan"],
    "experiment_defaults": {"history_points": 3},
    "experiments": {
        # the notebook's exp5 (an MLP classifier trained on real images only) on the new data
        "squares_notebook": {"based_on": "exp5", "dataset": "squares", "epochs": 1, "batch_size": 8},
        # a projection cGAN with noise
        "squares_cgan": {
            "based_on": "exp3", "dataset": "squares", "generator": "dcgan", "discriminator": "projection",
            "objective": "hinge", "spectral_norm": True, "noise_dim": 8, "width": 4, "epochs": 1, "batch_size": 8,
        },
    },
}


@pytest.fixture(scope="module")
def own_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("own")
    folder = write_folder(root / "squares")
    config = {**OWN, "datasets": {"squares": {"folder": str(folder), "test_share": 0.25}}}
    (root / "own.yaml").write_text(yaml.safe_dump(config))
    workdir = copy_workflow(root / "workflow")
    snakemake(workdir, "--cores", "2", "--configfile", str(root / "own.yaml"))
    return workdir


def test_an_image_folder_runs_end_to_end(own_run):
    results = own_run / "results"
    manifest = json.loads((own_run / "resources" / "datasets" / "squares.json").read_text())
    assert manifest["classes"] == list(CLASSES) and manifest["image_shape"] == [3, SIZE, SIZE]
    assert manifest["counts"] == {"train": [15] * 3, "test": [5] * 3}
    assert manifest["source"]["kind"] == "folder"
    classifier = json.loads((results / "classifiers" / "squares.json").read_text())
    assert classifier["architecture"] == "SmallResNet" and classifier["test_images"] == 15
    report = (results / "report.md").read_text()
    for exp in ("squares_notebook", "squares_cgan"):
        metrics = json.loads((results / exp / "metrics.json").read_text())
        assert len(metrics["per_class"]) == 3 and metrics["samples"] == 6
        with Image.open(results / exp / f"{exp}_samples.png") as sheet:
            assert sheet.size[0] == 3 * (SIZE + 2) + 2  # a column per class
        assert f"## {exp}" in report and f"]({exp}/{exp}_samples.png)" in report
    assert "nn.Embedding(3, 100)" in report and "| red |" in report  # the class table names the classes
    assert "## exp1" not in report  # run_only: the notebook's experiments stay defined, not run


def test_embedgan_sample_takes_the_classes_by_name(own_run, tmp_path):
    from embedgan.cli import main

    out = tmp_path / "red"
    assert main(["sample", str(own_run / "results" / "squares_cgan"), "--class", "red", "-n", "4",
                 "--format", "npz", "--device", "cpu", "--out", str(out)]) == 0
    with np.load(out.with_suffix(".npz")) as saved:
        assert saved["images"].shape == (1, 4, 3, SIZE, SIZE) and list(saved["labels"]) == ["red"]


def test_a_folder_is_described_from_its_files(tmp_path):
    described = custom.describe("squares", {"folder": str(write_folder(tmp_path / "c"))})
    assert described == {"image_shape": (3, SIZE, SIZE), "classes": CLASSES, "full_train_images": 48,
                         "test_per_class": 4}  # 20 a class, a fifth held out
    grey = custom.describe("grey", {"folder": str(write_folder(tmp_path / "g", grey=True))})
    assert grey["image_shape"] == (1, SIZE, SIZE)
    split = tmp_path / "split"
    for part in ("train", "test"):
        write_folder(split / part, per_class=3)
    assert custom.describe("split", {"folder": str(split)})["full_train_images"] == 9


def test_a_npz_with_any_class_count_is_described_with_its_class_names(tmp_path):
    path = tmp_path / "four.npz"
    x = np.zeros((8, 12, 12), np.uint8)
    np.savez(path, x_train=x, y_train=np.arange(8) % 4, x_test=x[:4], y_test=np.arange(4))
    described = custom.describe("four", {"npz": str(path), "classes": ["a", "b", "c", "d"]})
    assert described == {"image_shape": (1, 12, 12), "classes": ("a", "b", "c", "d"), "full_train_images": 8,
                         "test_per_class": 1}
    assert custom.describe("four", {"npz": str(path)})["classes"] == ("0", "1", "2", "3")
    with pytest.raises(ConfigError, match=r"datasets.four.classes names 2 classes; .* has labels 0-3"):
        custom.describe("four", {"npz": str(path), "classes": ["a", "b"]})


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda root: write_folder(root, size=18), r"18x18 .* sides divisible by 4"),
        (lambda root: (write_folder(root), Image.new("RGB", (8, 8)).save(root / "red" / "odd.png")),
         r"red/odd.png is 8x8, .* one size"),
        (lambda root: (root / "only").mkdir(parents=True)
         or Image.new("RGB", (8, 8)).save(root / "only" / "a.png")
         or Image.new("RGB", (8, 8)).save(root / "only" / "b.png"), "1 class folder"),
        (lambda root: (write_folder(root), (root / "empty").mkdir()), r"class folder\(s\) empty in .* hold no images"),
    ],
)
def test_a_folder_that_cannot_be_a_data_set_is_named(tmp_path, make, message):
    make(tmp_path / "bad")
    with pytest.raises((DataSourceError, ConfigError), match=message):
        custom.describe("bad", {"folder": str(tmp_path / "bad")})


def test_a_missing_folder_stops_the_dry_run_naming_the_key(workflow_copy, tmp_path):
    config = {**OWN, "datasets": {"squares": {"folder": str(tmp_path / "nowhere")}}}
    (tmp_path / "own.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(workflow_copy, "-n", "--configfile", str(tmp_path / "own.yaml"), check=False)
    assert result.returncode != 0
    assert f"datasets.squares.folder: folder {tmp_path / 'nowhere'} does not exist" in result.stderr


def test_a_data_set_too_small_for_the_evaluation_stops_the_dry_run_naming_the_setting(workflow_copy, tmp_path):
    """A folder with 11 test images a class and the default eval_samples_per_class (100): the
    dry run stops at once, before any training, naming the key and the numbers (the perfect
    generator's sets are drawn from the smaller half: 5 of 11)."""
    split = tmp_path / "small"
    write_folder(split / "train", per_class=12)
    write_folder(split / "test", per_class=11)
    config = {key: value for key, value in OWN.items() if key != "eval_samples_per_class"}
    config["datasets"] = {"squares": {"folder": str(split)}}
    (tmp_path / "own.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(workflow_copy, "-n", "--configfile", str(tmp_path / "own.yaml"), check=False)
    assert result.returncode != 0
    assert ("config: eval_samples_per_class 100 is more than data set squares can judge: its smallest class has "
            "11 test images, so the half the fair references draw from holds 5; set "
            "eval_samples_per_class <= 5") in result.stderr
    for samples, refused in ((6, True), (5, False)):  # at the edge: 5 of 11 in the smaller half
        config["eval_samples_per_class"] = samples
        (tmp_path / "own.yaml").write_text(yaml.safe_dump(config))
        result = snakemake(workflow_copy, "-n", "--configfile", str(tmp_path / "own.yaml"), check=False)
        assert (result.returncode != 0) == refused, result.stderr[-500:]


def test_a_npz_of_your_own_is_fetched_like_a_mirror_file(tmp_path):
    """Through the built-in data sets' own reader and checks (a label past the class names is refused)."""
    from embedgan.datasets import data

    path = tmp_path / "three.npz"
    x = np.zeros((6, 8, 8), np.uint8)
    np.savez(path, x_train=x, y_train=np.arange(6) % 3, x_test=x[:3], y_test=np.arange(3))
    info = data.describe("three", {"npz": str(path), "classes": ["a", "b", "c"]})
    record = data.fetch("three", info, tmp_path / "out.npz", tmp_path / "out.json", None, str(tmp_path))
    assert record["classes"] == ["a", "b", "c"] and record["counts"] == {"train": [2, 2, 2], "test": [1, 1, 1]}
    assert record["source"] == {"kind": "npz", "path": str(path)}
    assert data.load(tmp_path / "out.npz").x_train.shape == (6, 8, 8, 1)
    np.savez(path, x_train=x, y_train=np.arange(6) % 4, x_test=x[:3], y_test=np.arange(3))
    with pytest.raises(DataSourceError, match="labels outside 0-2"):
        data.fetch("three", info, tmp_path / "out.npz", tmp_path / "out.json", None, str(tmp_path))


def test_a_grey_folder_is_fetched_grey_and_read_back_pixel_for_pixel(tmp_path):
    from embedgan.datasets import data

    root = write_folder(tmp_path / "grey", per_class=5, grey=True)
    entry = {"folder": str(root), "test_share": 0.4}
    record = data.fetch("grey", data.describe("grey", entry), tmp_path / "out.npz", tmp_path / "out.json", None, str(tmp_path))
    assert record["image_shape"] == [1, SIZE, SIZE]
    fetched = data.load(tmp_path / "out.npz")
    _, splits = custom.folder_splits("grey", entry)
    for split in ("train", "test"):
        images, labels = fetched.split(split)
        assert images.shape == (len(splits[split]), SIZE, SIZE, 1)  # one channel, not three
        for (path, label), image, stored_label in zip(splits[split], images, labels, strict=True):
            with Image.open(path) as original:
                np.testing.assert_array_equal(image[:, :, 0], np.asarray(original))
            assert stored_label == label == CLASSES.index(path.parent.name)  # the image's own folder
