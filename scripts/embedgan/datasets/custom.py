"""Data sets of your own, defined under the config key `datasets`: an image folder (a subfolder
per class; or `train/` and `test/`, each with a subfolder per class) or a Keras-layout .npz
(x_train, y_train, x_test, y_test) with any number of classes.

`describe` reads what the workflow needs when it starts (class names, image shape, training
images) from the files' headers; `read_folder` reads every image of a folder for the data set's
fetch job (an .npz is read as the built-in ones' mirror files are: datasets.data.read_keras_npz)."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np

from embedgan.errors import ConfigError, DataSourceError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
GREY_MODES = {"1", "L", "LA", "I", "I;16", "F"}
SPLITS = ("train", "test")


def class_folders(root: Path, key: str) -> dict[str, list[Path]]:
    """Class name -> its image files (sorted), from the subfolders of `root`."""
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    files = {
        folder.name: sorted(f for f in folder.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES)
        for folder in folders
    }
    empty = [name for name, found in files.items() if not found]
    if empty:
        raise DataSourceError(f"{key}: class folder(s) {', '.join(empty)} in {root} hold no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return files


def folder_splits(name: str, entry: dict) -> tuple[tuple[str, ...], dict[str, list[tuple[Path, int]]]]:
    """(class names, split -> [(image file, label)]) of a folder data set."""
    key = f"datasets.{name}.folder"
    root = Path(entry["folder"])
    if not root.is_dir():
        raise ConfigError(f"{key}: folder {root} does not exist")
    if (root / "train").is_dir() and (root / "test").is_dir():
        per_split = {split: class_folders(root / split, key) for split in SPLITS}
        if list(per_split["train"]) != list(per_split["test"]):
            raise DataSourceError(f"{key}: {root}/train and {root}/test name other classes")
    else:
        share = entry.get("test_share", 0.2)
        per_split = {split: {} for split in SPLITS}
        for label, (cls, files) in enumerate(class_folders(root, key).items()):
            if len(files) < 2:
                raise DataSourceError(f"{key}: class {cls} has {len(files)} image; each needs one to train and one to test")
            order = np.random.default_rng(label).permutation(len(files))  # a fixed split
            held = min(len(files) - 1, max(1, math.ceil(share * len(files))))
            per_split["test"][cls] = [files[i] for i in sorted(order[:held])]
            per_split["train"][cls] = [files[i] for i in sorted(order[held:])]
    classes = tuple(per_split["train"])
    if len(classes) < 2:
        raise DataSourceError(f"{key}: {root} has {len(classes)} class folder(s); a data set needs at least 2")
    return classes, {
        split: [(f, label) for label, cls in enumerate(classes) for f in per_split[split][cls]] for split in SPLITS
    }


def folder_shape(name: str, files: list[Path]) -> tuple[int, int, int]:
    """C, H, W of a folder's images: one size for all; grey where every image is, else colour."""
    from PIL import Image

    size, grey = None, True
    for path in files:
        with Image.open(path) as image:
            if size is None:
                size, first = image.size, path
            elif image.size != size:
                raise DataSourceError(
                    f"datasets.{name}: {path} is {image.size[0]}x{image.size[1]}, {first} {size[0]}x{size[1]}; "
                    "every image of a data set needs one size"
                )
            grey = grey and image.mode in GREY_MODES
    return (1 if grey else 3, size[1], size[0])


def npz_header(path: Path, array: str) -> tuple[int, ...]:
    """The shape of `array` in the .npz at `path`, from its header alone."""
    with zipfile.ZipFile(path) as archive, archive.open(f"{array}.npy") as handle:
        major, _ = np.lib.format.read_magic(handle)
        read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        shape, _, _ = read_header(handle)  # the header, not the data
    return shape


def npz_classes(name: str, entry: dict, labels: list[np.ndarray]) -> tuple[str, ...]:
    count = int(max(y.max() for y in labels)) + 1
    classes = tuple(entry.get("classes") or (str(k) for k in range(count)))
    if len(classes) != count:
        raise ConfigError(f"datasets.{name}.classes names {len(classes)} classes; {entry['npz']} has labels 0-{count - 1}")
    return classes


def npz_labels(name: str, path: Path) -> list[np.ndarray]:
    if not path.is_file():
        raise ConfigError(f"datasets.{name}.npz: file {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as npz:
            return [np.asarray(npz[f"y_{split}"]).reshape(-1) for split in SPLITS]
    except (KeyError, zipfile.BadZipFile, ValueError, OSError) as err:
        raise DataSourceError(f"datasets.{name}.npz: {path} is not a Keras-layout .npz ({err})") from err


def describe(name: str, entry: dict) -> dict:
    """image_shape (C, H, W), classes, full_train_images and test_per_class (the fewest held-out
    test images of a class) of a data set of your own."""
    if "folder" in entry:
        classes, splits = folder_splits(name, entry)
        shape = folder_shape(name, [f for split in SPLITS for f, _ in splits[split]])
        train_images = len(splits["train"])
        test_labels = np.array([label for _, label in splits["test"]])
    else:
        path = Path(entry["npz"])
        labels = npz_labels(name, path)
        classes = npz_classes(name, entry, labels)
        stored = npz_header(path, "x_train")
        shape = (1, *stored[1:3]) if len(stored) == 3 else (stored[3], stored[1], stored[2])
        train_images = stored[0]
        test_labels = labels[1]
    channels, height, width = shape
    if height % 4 or width % 4 or channels not in (1, 3):
        raise DataSourceError(
            f"datasets.{name}: images of {height}x{width} with {channels} channel(s); the networks need "
            "sides divisible by 4 and grey (1) or colour (3) images: resize them"
        )
    fewest = int(np.bincount(test_labels.astype(np.int64), minlength=len(classes)).min())
    return {"image_shape": shape, "classes": classes, "full_train_images": int(train_images), "test_per_class": fewest}


def read_folder(name: str, entry: dict, shape: tuple[int, int, int]) -> dict[str, np.ndarray]:
    """x_train, y_train, x_test, y_test of an image folder, in the Keras layout."""
    from PIL import Image

    _, splits = folder_splits(name, entry)
    arrays = {}
    for split in SPLITS:
        images = []
        for path, _ in splits[split]:
            with Image.open(path) as image:
                images.append(np.asarray(image.convert("L" if shape[0] == 1 else "RGB")))
        arrays[f"x_{split}"] = np.stack(images)
        arrays[f"y_{split}"] = np.array([label for _, label in splits[split]], dtype=np.int64)
    return arrays
