"""Data sources (Keras .npz mirror, torchvision layouts, download) and their bad inputs."""

import json
import pickle
import struct
import urllib.error
import urllib.request

import numpy as np
import pytest

from conftest import REPO, class_images, write_keras_npz
from embedgan.datasets import data
from embedgan.datasets.data import DataSourceError


def fetch_into(tmp_path, name, mirror, download_dir=None):
    out = tmp_path / "out"
    record = data.fetch(
        name,
        data.DATASETS[name],
        output=out / f"{name}.npz",
        manifest=out / f"{name}.json",
        mirror=str(mirror) if mirror else None,
        download_dir=str(download_dir or tmp_path / "downloads"),
    )
    return out, record


def assert_nothing_written(out):
    assert not out.exists() or not any(out.iterdir()), list(out.iterdir())


@pytest.mark.parametrize("name", ["mnist", "cifar10"])
def test_keras_mirror_gives_canonical_arrays_and_manifest(tmp_path, mirror, name):
    out, record = fetch_into(tmp_path, name, mirror)
    dataset = data.load(out / f"{name}.npz")
    height, width, channels = data.DATASETS[name].stored_shape
    assert dataset.x_train.shape == (120, height, width, channels)
    assert dataset.x_test.shape == (40, height, width, channels)
    assert dataset.x_train.dtype == np.uint8 and dataset.y_train.dtype == np.int64
    assert dataset.classes == data.DATASETS[name].classes
    manifest = json.loads((out / f"{name}.json").read_text())
    assert manifest == record
    assert manifest["counts"] == {"train": [12] * 10, "test": [4] * 10}
    assert manifest["sha256"] == data.sha256_file(out / f"{name}.npz")
    assert manifest["source"]["sha256"] == data.sha256_file(mirror / f"{name}.npz")
    original = np.load(mirror / f"{name}.npz")
    np.testing.assert_array_equal(dataset.x_train.reshape(original["x_train"].shape), original["x_train"])


def test_cifar_subset_file_name_is_found(tmp_path):
    folder = tmp_path / "mirror"
    write_keras_npz(folder / "cifar10-subset.npz", "cifar10")
    _, record = fetch_into(tmp_path, "cifar10", folder)
    assert record["source"]["path"].endswith("cifar10-subset.npz")


def write_idx(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    magic = {1: 0x801, 3: 0x803}[array.ndim]
    with open(path, "wb") as handle:
        handle.write(struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape))
        handle.write(array.astype(np.uint8).tobytes())


def test_torchvision_mnist_layout_is_read_by_torchvision(tmp_path):
    folder = tmp_path / "mirror"
    raw = folder / "MNIST" / "raw"
    for prefix, per_class in (("train", 12), ("t10k", 4)):
        x, y = class_images("mnist", per_class, seed=3)
        write_idx(raw / f"{prefix}-images-idx3-ubyte", x)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", y)
    out, record = fetch_into(tmp_path, "mnist", folder)
    assert record["source"]["path"].endswith("MNIST")
    dataset = data.load(out / "mnist.npz")
    x, y = class_images("mnist", 12, seed=3)
    np.testing.assert_array_equal(dataset.x_train[..., 0], x)
    np.testing.assert_array_equal(dataset.y_train, y)


def test_torchvision_cifar_layout_is_read_by_torchvision(tmp_path, monkeypatch):
    import torchvision.datasets.cifar as cifar

    # Our files cannot match torchvision's md5 list of the real release.
    monkeypatch.setattr(cifar, "check_integrity", lambda *args, **kwargs: True)
    monkeypatch.setattr(cifar.CIFAR10, "_check_integrity", lambda self: True)
    batches = tmp_path / "mirror" / "cifar-10-batches-py"
    batches.mkdir(parents=True)
    expected = {}
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for i, batch in enumerate(names):
        x, y = class_images("cifar10", 2, seed=10 + i)
        expected[batch] = (x, y)
        rows = x.transpose(0, 3, 1, 2).reshape(len(x), -1)  # CIFAR's C,H,W rows
        with open(batches / batch, "wb") as handle:
            pickle.dump({"data": rows, "labels": y.tolist()}, handle)
    with open(batches / "batches.meta", "wb") as handle:
        pickle.dump({"label_names": list(data.DATASETS["cifar10"].classes)}, handle)
    out, _ = fetch_into(tmp_path, "cifar10", tmp_path / "mirror")
    dataset = data.load(out / "cifar10.npz")
    assert dataset.x_train.shape == (100, 32, 32, 3)
    np.testing.assert_array_equal(dataset.x_train[:20], expected["data_batch_1"][0])
    np.testing.assert_array_equal(dataset.y_test, expected["test_batch"][1])


def test_download_without_internet_names_the_source_and_the_fix(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    with pytest.raises(DataSourceError, match="torchvision could not download MNIST.*`mirror`"):
        fetch_into(tmp_path, "mnist", mirror=None)
    assert_nothing_written(tmp_path / "out")


def bad_copy(mirror, name, **changes):
    arrays = dict(np.load(mirror / f"{name}.npz"))
    arrays.update(changes)
    for key in [k for k, v in changes.items() if v is None]:
        del arrays[key]
    np.savez(mirror / f"{name}.npz", **arrays)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"x_train": np.zeros((5, 32, 32), np.uint8)}, r"x_train has shape \(5, 32, 32\), expected N x 28 x 28 x 1"),
        ({"y_test": np.full(40, 11, np.uint8)}, r"y_test holds labels outside 0-9 \(e.g. \[11, 11"),
        ({"y_train": np.zeros(3, np.uint8)}, "120 images but 3 labels in the train split"),
        ({"x_test": np.zeros((40, 28, 28), np.float32)}, "x_test has dtype float32, expected uint8"),
        ({"y_test": None}, r"missing arrays \['y_test'\]"),
        ({"y_train": np.zeros(120, np.uint8)}, r"the train split has no images of class 1 \(1\), 2 \(2\)"),
    ],
)
def test_bad_mirror_content_is_refused_and_nothing_is_written(tmp_path, mirror, change, message):
    bad_copy(mirror, "mnist", **change)
    with pytest.raises(DataSourceError, match=message) as error:
        fetch_into(tmp_path, "mnist", mirror)
    assert str(mirror / "mnist.npz") in str(error.value)
    assert_nothing_written(tmp_path / "out")


def test_truncated_mirror_file_is_refused(tmp_path, mirror):
    path = mirror / "cifar10.npz"
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(DataSourceError, match="truncated or not a Keras-layout .npz"):
        fetch_into(tmp_path, "cifar10", mirror)
    assert_nothing_written(tmp_path / "out")


def test_missing_mirror_file_and_folder(tmp_path, mirror):
    (mirror / "mnist.npz").unlink()
    with pytest.raises(DataSourceError, match="holds no copy of mnist: expected one of mnist.npz"):
        fetch_into(tmp_path, "mnist", mirror)
    with pytest.raises(DataSourceError, match="does not exist"):
        fetch_into(tmp_path, "mnist", tmp_path / "nowhere")
    assert_nothing_written(tmp_path / "out")


def test_failed_fetch_keeps_an_earlier_good_output(tmp_path, mirror):
    out, _ = fetch_into(tmp_path, "mnist", mirror)
    before = (out / "mnist.npz").read_bytes()
    bad_copy(mirror, "mnist", y_train=np.full(120, 12, np.uint8))
    with pytest.raises(DataSourceError):
        fetch_into(tmp_path, "mnist", mirror)
    assert (out / "mnist.npz").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["mnist.json", "mnist.npz"]


def test_balanced_indices_take_the_first_of_each_class():
    labels = np.array([3, 1, 3, 0, 1, 3, 2, 0, 1, 2] * 2)
    chosen = data.balanced_indices(labels, 1)
    assert sorted(labels[chosen].tolist()) == [0, 1, 2, 3]
    assert chosen.tolist() == [0, 1, 3, 6]
    assert len(data.balanced_indices(labels, None)) == 20


def test_mirror_file_not_matching_its_sha256sums_is_refused(tmp_path, mirror):
    good = data.sha256_file(mirror / "mnist.npz")
    (mirror / "SHA256SUMS").write_text(f"{good}  mnist.npz\n{'0' * 64}  cifar10.npz\n")
    fetch_into(tmp_path, "mnist", mirror)  # listed and matching
    with pytest.raises(DataSourceError, match=r"cifar10.npz: sha256 \w+ does not match 0{64}"):
        fetch_into(tmp_path, "cifar10", mirror)
    assert not (tmp_path / "out" / "cifar10.npz").exists()


def test_fetched_file_changed_after_its_manifest_is_refused(tmp_path, mirror):
    out, _ = fetch_into(tmp_path, "mnist", mirror)
    assert data.load_verified(out / "mnist.npz", out / "mnist.json").x_train.shape[0] == 120
    with open(out / "mnist.npz", "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(DataSourceError, match="does not match .* recorded in .*mnist.json"):
        data.load_verified(out / "mnist.npz", out / "mnist.json")


SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.mark.skipif(not (SHARED_DATA / "mnist.npz").is_file(), reason=f"no offline copy at {SHARED_DATA}")
def test_the_offline_copy_of_mnist_reads_as_the_real_mnist(tmp_path):
    out, record = fetch_into(tmp_path, "mnist", SHARED_DATA)
    assert record["source"]["sha256"] == "06af5dfe73b70e3bc1c36439982b18a8d76803db9b544f6fdf838a37fbb01b64"
    dataset = data.load(out / "mnist.npz")
    assert dataset.x_train.shape == (60000, 28, 28, 1) and dataset.x_test.shape == (10000, 28, 28, 1)
    assert dataset.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert abs(dataset.x_train.mean() / 255 - 0.1307) < 1e-4
