"""Data sets: fetch MNIST, CIFAR-10 or a data set of your own (embedgan.datasets.custom) from
its source into one canonical .npz, and read it back.

Canonical layout (written by `fetch`, read by `load`): x_train, x_test uint8 N x H x W x C;
y_train, y_test int64 in 0..classes-1; classes: the class names.

A data set's facts (DatasetInfo: image shape, classes, sizes, source) are described where a
config is loaded (`described`; a fetch job's one data set: `describe`) and handed to whatever
needs them; nothing here keeps them, so no job depends on what another call remembered.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embedgan.errors import ConfigError, DataSourceError
from embedgan.runtime import atomic_path

SPLITS = ("train", "test")


@dataclass(frozen=True)
class DatasetInfo:
    image_shape: tuple[int, int, int]  # C, H, W, as the models take images
    classes: tuple[str, ...]
    # Training images of the complete data set (the notebook's scale).
    full_train_images: int
    # The built-in data sets' sources: torchvision's class, the Keras-layout file names looked
    # for in a mirror folder (in this order), the folder torchvision's own layout keeps.
    torchvision_class: str = ""
    mirror_files: tuple[str, ...] = ()
    torchvision_folder: str = ""
    # A data set of your own: its entry under the config key `datasets` (custom.py), and the
    # fewest held-out test images of a class (None: known once fetched, as a mirror's subset).
    source: dict | None = None
    test_per_class: int | None = None

    @property
    def stored_shape(self) -> tuple[int, int, int]:
        """H, W, C: how the data set's arrays hold an image (N x H x W x C, Keras layout)."""
        channels, height, width = self.image_shape
        return height, width, channels


DATASETS = {
    "mnist": DatasetInfo(
        torchvision_class="MNIST",
        image_shape=(1, 28, 28),
        classes=tuple(str(d) for d in range(10)),
        mirror_files=("mnist.npz",),
        torchvision_folder="MNIST",
        full_train_images=60_000,
    ),
    "cifar10": DatasetInfo(
        torchvision_class="CIFAR10",
        image_shape=(3, 32, 32),
        classes=(
            "airplane",
            "automobile",
            "bird",
            "cat",
            "deer",
            "dog",
            "frog",
            "horse",
            "ship",
            "truck",
        ),
        mirror_files=("cifar10.npz", "cifar10-subset.npz"),
        torchvision_folder="cifar-10-batches-py",
        full_train_images=50_000,
    ),
}


@dataclass
class Dataset:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...]

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        return getattr(self, f"x_{name}"), getattr(self, f"y_{name}")


def describe(name: str, source: dict | None = None) -> DatasetInfo:
    """The facts of data set `name`: a built-in one's (`source` None), or those of one of your
    own, `source` its entry under the config key `datasets`, read from its files' headers."""
    from embedgan.datasets import custom

    if source is None:
        return lookup(DATASETS, name)
    if name in DATASETS:
        raise ConfigError(f"datasets.{name}: {name} is a built-in data set; give yours another name")
    return DatasetInfo(**custom.describe(name, source), source=source)


def described(own: dict[str, dict]) -> dict[str, DatasetInfo]:
    """Every data set a config can name, by name: the built-in ones and those it defines under
    the key `datasets` (`own`), each described once, where the config is loaded (the workflow's
    start, a script), and handed to whatever needs a data set's facts."""
    return {**DATASETS, **{name: describe(name, entry) for name, entry in own.items()}}


def lookup(datasets: dict[str, DatasetInfo], name: str) -> DatasetInfo:
    """The facts of data set `name` among `datasets` (those `described`)."""
    if name not in datasets:
        raise DataSourceError(
            f"unknown dataset {name!r}; known: {', '.join(sorted(DATASETS))} and those defined under "
            "the config key `datasets` (an image folder or a Keras-layout .npz)"
        )
    return datasets[name]


def check_evaluation_size(name: str, info: DatasetInfo, samples_per_class: int) -> None:
    """Refuse, when the workflow starts, an `eval_samples_per_class` larger than half (rounded
    down) of a class's test images of data set `name` (`info`, its facts) where its size is known
    then (a data set of your own): the evaluation's fair references draw real sets of that size
    from it, and would stop after training."""
    fewest = info.test_per_class
    if fewest is None:
        return
    half = fewest // 2  # metrics.split_reference: the reference half, the smaller, draws the perfect sets
    if samples_per_class > half:
        raise ConfigError(
            f"config: eval_samples_per_class {samples_per_class} is more than data set {name} can judge: its "
            f"smallest class has {fewest} test images, so the half the fair references draw from holds "
            f"{half}; set eval_samples_per_class <= {half}"
        )


def sha256_file(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _validate(name: str, info: DatasetInfo, arrays: dict[str, np.ndarray], origin: str) -> dict:
    """Check shapes, dtypes and labels against data set `name`'s facts (`info`); return the
    arrays in canonical form."""
    canonical = {}
    for split in SPLITS:
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim == 3:
            x = x[..., None]
        if x.ndim != 4 or tuple(x.shape[1:]) != info.stored_shape:
            raise DataSourceError(
                f"{origin}: x_{split} has shape {tuple(arrays[f'x_{split}'].shape)}, "
                f"expected N x {' x '.join(map(str, info.stored_shape))} for {name}"
            )
        if x.dtype != np.uint8:
            raise DataSourceError(
                f"{origin}: x_{split} has dtype {x.dtype}, expected uint8 pixels 0-255"
            )
        y = np.asarray(y).reshape(-1)
        if len(y) != len(x) or len(x) == 0:
            raise DataSourceError(
                f"{origin}: {len(x)} images but {len(y)} labels in the {split} split"
            )
        last = len(info.classes) - 1
        if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() > last:
            bad = y[(y < 0) | (y > last)][:5] if np.issubdtype(y.dtype, np.number) else y[:5]
            raise DataSourceError(
                f"{origin}: y_{split} holds labels outside 0-{last} (e.g. {bad.tolist()})"
            )
        missing = sorted(set(range(len(info.classes))) - set(y.tolist()))
        if missing:
            names = ", ".join(f"{c} ({info.classes[c]})" for c in missing)
            raise DataSourceError(
                f"{origin}: the {split} split has no images of class {names}; every one of the "
                f"{len(info.classes)} classes needs {split} images: is this the right file?"
            )
        canonical[f"x_{split}"] = np.ascontiguousarray(x)
        canonical[f"y_{split}"] = y.astype(np.int64)
    return canonical


def read_keras_npz(name: str, info: DatasetInfo, path: Path) -> dict[str, np.ndarray]:
    """Read a Keras-layout .npz (x_train, y_train, x_test, y_test) of data set `name`."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [
                k for s in SPLITS for k in (f"x_{s}", f"y_{s}") if k not in npz.files
            ]
            if missing:
                raise DataSourceError(
                    f"{path}: missing arrays {missing}; a Keras-layout .npz holds "
                    "x_train, y_train, x_test, y_test"
                )
            arrays = {k: npz[k] for k in npz.files}
    except (zipfile.BadZipFile, EOFError, ValueError, OSError) as err:
        raise DataSourceError(
            f"{path}: cannot be read as .npz ({err}); the file is truncated or not a "
            "Keras-layout .npz: copy it again"
        ) from err
    return _validate(name, info, arrays, str(path))


def read_torchvision(name: str, info: DatasetInfo, root: Path, download: bool) -> dict[str, np.ndarray]:
    """Read (and optionally download) a built-in data set with torchvision's own loader."""
    import torchvision

    dataset_class = getattr(torchvision.datasets, info.torchvision_class)
    arrays = {}
    for split in SPLITS:
        try:
            ds = dataset_class(str(root), train=split == "train", download=download)
        except Exception as err:  # network errors, checksum and missing-file errors alike
            action = (
                "check the internet connection, or set the config key `mirror` to a "
                "folder holding a local copy"
                if download
                else f"the folder needs torchvision's layout ({root}/{info.torchvision_folder}/)"
            )
            raise DataSourceError(
                f"torchvision could not {'download' if download else 'read'} "
                f"{info.torchvision_class} into {root}: {' '.join(str(err).split())}; {action}"
            ) from err
        arrays[f"x_{split}"] = np.asarray(ds.data)
        arrays[f"y_{split}"] = np.asarray(ds.targets)
    return _validate(name, info, arrays, f"torchvision {info.torchvision_class} in {root}")


def check_listed_sha256(path: Path) -> None:
    """Where the file's folder has a SHA256SUMS listing it, the file must match it."""
    sums = path.parent / "SHA256SUMS"
    if not sums.is_file():
        return
    listed = {}
    for line in sums.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:
            listed[parts[1].lstrip("*")] = parts[0].lower()
    if path.name in listed and sha256_file(path) != listed[path.name]:
        raise DataSourceError(
            f"{path}: sha256 {sha256_file(path)} does not match {listed[path.name]} in {sums}; "
            "the copy is damaged or not the listed file: copy it again"
        )


def read_mirror(name: str, info: DatasetInfo, mirror: Path) -> tuple[dict[str, np.ndarray], Path]:
    """Read a built-in data set from a local copy: a Keras .npz or torchvision's folder layout."""
    if not mirror.is_dir():
        raise DataSourceError(
            f"mirror folder {mirror} (config key `mirror`) does not exist"
        )
    for file_name in info.mirror_files:
        if (mirror / file_name).is_file():
            check_listed_sha256(mirror / file_name)
            return read_keras_npz(name, info, mirror / file_name), mirror / file_name
    if (mirror / info.torchvision_folder).is_dir():
        return read_torchvision(name, info, mirror, download=False), mirror / info.torchvision_folder
    raise DataSourceError(
        f"mirror folder {mirror} holds no copy of {name}: expected one of "
        f"{', '.join(info.mirror_files)} (Keras .npz) or torchvision's folder "
        f"{info.torchvision_folder}/"
    )


def fetch(
    name: str, info: DatasetInfo, output: Path, manifest: Path, mirror: str | None, download_dir: str
) -> dict:
    """Write the canonical .npz and its manifest of data set `name` (`info`: its facts, `describe`);
    nothing is written if a check fails."""
    if info.source is not None and "npz" in info.source:  # a Keras-layout file of your own
        arrays = read_keras_npz(name, info, Path(info.source["npz"]))
        source = {"kind": "npz", "path": str(info.source["npz"])}
    elif info.source is not None:  # an image folder
        from embedgan.datasets import custom

        arrays = _validate(name, info, custom.read_folder(name, info.source, info.image_shape), info.source["folder"])
        source = {"kind": "folder", "path": str(info.source["folder"])}
    elif mirror:
        arrays, origin = read_mirror(name, info, Path(mirror))
        source = {"kind": "mirror", "path": str(origin)}
        if origin.is_file():
            source["sha256"] = sha256_file(origin)
    else:
        arrays = read_torchvision(name, info, Path(download_dir), download=True)
        source = {"kind": "torchvision", "path": str(download_dir)}
    with atomic_path(output) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, classes=np.array(info.classes), **arrays)
    record = {
        "dataset": name,
        "source": source,
        "classes": list(info.classes),
        "image_shape": list(info.image_shape),
        "counts": {
            split: np.bincount(arrays[f"y_{split}"], minlength=len(info.classes)).tolist()
            for split in SPLITS
        },
        "sha256": sha256_file(output),
    }
    with atomic_path(manifest) as tmp:
        Path(tmp).write_text(json.dumps(record, indent=2) + "\n")
    return record


def load_verified(path: str | os.PathLike, manifest_path: str | os.PathLike) -> Dataset:
    """`load`, after checking the file against the sha256 its manifest recorded."""
    expected = json.loads(Path(manifest_path).read_text())["sha256"]
    actual = sha256_file(path)
    if actual != expected:
        raise DataSourceError(
            f"{path}: sha256 {actual} does not match {expected} recorded in {manifest_path}; "
            "the file changed after it was fetched: delete both files and rerun to fetch again"
        )
    return load(path)


def load(path: str | os.PathLike) -> Dataset:
    """Read a canonical .npz written by `fetch`."""
    with np.load(path, allow_pickle=False) as npz:
        return Dataset(
            x_train=npz["x_train"],
            y_train=npz["y_train"],
            x_test=npz["x_test"],
            y_test=npz["y_test"],
            classes=tuple(str(c) for c in npz["classes"]),
        )


def balanced_indices(labels: np.ndarray, per_class: int | None) -> np.ndarray:
    """The first `per_class` indices of every class (each label present), in stored order
    (all when None)."""
    if per_class is None:
        return np.arange(len(labels))
    chosen = [np.flatnonzero(labels == c)[:per_class] for c in np.unique(labels)]
    return np.sort(np.concatenate(chosen))
