"""The `embedgan` command (also `python -m embedgan`).

    embedgan sample RUN [--class C ... | --every-class | --caption TEXT] [-n N] [--seed S]
                    [--device auto|cpu|cuda|cuda:N] [--format png|grid|npz] [--out PATH]

draws images from a finished run (RUN: its folder, results/<exp>, or its model.pt), through the
moving average of the generator where the run kept one. A bad request stops with one line that
names it (exit status 2), before anything is written.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from embedgan.errors import ExpectedError

FORMATS = ("png", "grid", "npz")


class SampleError(ExpectedError):
    """A request the run cannot answer (no such run, class or caption)."""


def model_path(run: str) -> Path:
    path = Path(run)
    model = path if path.suffix == ".pt" else path / "model.pt"
    if not model.is_file():
        raise SampleError(
            f"no model file at {model}: give a finished run's folder (results/<exp>) or its model.pt "
            "(train it first: snakemake results/<exp>/model.pt)"
        )
    return model


def class_index(wanted: str, classes: tuple[str, ...]) -> int:
    """A class by its name or its index."""
    if wanted in classes:
        return classes.index(wanted)
    if wanted.lstrip("-").isdigit() and 0 <= int(wanted) < len(classes):
        return int(wanted)
    raise SampleError(
        f"--class {wanted}: the run has {len(classes)} classes, 0-{len(classes) - 1} "
        f"({', '.join(classes)}); give an index or a name"
    )


def request(args: argparse.Namespace, trained) -> tuple[list[str], object]:
    """(the label of each row of images, the codes the generator draws them from)."""
    import torch

    if args.caption is not None:
        if not trained.settings.conditioning_kind.uses_text:
            raise SampleError(
                f"--caption needs a run conditioned on text; {args.run} is conditioned on "
                f"{trained.settings.conditioning}s: ask for --class instead"
            )
        from embedgan.evaluation.probes import load_text_conditioner

        with torch.no_grad():
            codes = load_text_conditioner(trained, trained.class_codes.device).encode_texts([args.caption])
        return [args.caption], codes
    if args.every_class or not args.classes:
        wanted = list(range(len(trained.classes)))
    else:
        wanted = [class_index(c, trained.classes) for c in args.classes]
    return [trained.classes[k] for k in wanted], trained.class_codes[wanted]


def draw_images(args: argparse.Namespace) -> tuple[np.ndarray, list[str]]:
    """uint8 images rows x N x C x H x W (a row per class or caption) and the rows' labels."""
    import torch

    from embedgan.machine.devices import select_device
    from embedgan.networks.sampling import load_generator

    model = model_path(args.run)
    trained = load_generator(str(model), select_device(args.device), None)
    labels, codes = request(args, trained)
    if not trained.settings.stochastic and args.number > 1:
        print(f"note: {args.run} has no noise input: its {args.number} images of a class are one image", file=sys.stderr)
    rng = torch.Generator().manual_seed(args.seed)
    every = codes.repeat_interleave(args.number, dim=0)  # row by row: N draws of each class
    images = np.concatenate([trained.images(every[i : i + 256], rng) for i in range(0, len(every), 256)])
    return images.reshape(len(labels), args.number, *images.shape[1:]), labels


def write(images: np.ndarray, labels: list[str], args: argparse.Namespace) -> list[Path]:
    """Write the images as the format asks; the paths written."""
    from PIL import Image

    from embedgan.documents.render import tile
    from embedgan.runtime import atomic_path

    out = Path(args.out)
    if args.format == "npz":
        out = out.with_suffix(".npz")
        out.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(out) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, images=images, labels=np.array(labels), request=np.array(json.dumps(vars(args))))
        return [out]
    pictures = {}
    if args.format == "grid":  # one row per class or caption
        flat = images.reshape(-1, *images.shape[2:])
        pictures[out.with_suffix(".png")] = tile(flat, images.shape[1], 255)
    else:
        for row, label in enumerate(labels):
            for draw, image in enumerate(images[row]):
                pictures[out / f"{safe(label)}_{draw:04d}.png"] = image.transpose(1, 2, 0)
    for path, pixels in pictures.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            Image.fromarray(pixels.squeeze(-1) if pixels.shape[-1] == 1 else pixels).save(tmp, format="PNG")
    return list(pictures)


def safe(label: str) -> str:
    """A label as part of a file name."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in label)[:60] or "caption"


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="embedgan", description=__doc__.split("\n\n")[0])
    commands = main.add_subparsers(dest="command", required=True)
    sample = commands.add_parser("sample", help="draw images from a finished run")
    sample.add_argument("run", help="a run's folder (results/<exp>) or its model.pt")
    which = sample.add_mutually_exclusive_group()
    which.add_argument("--class", dest="classes", action="append", metavar="C",
                       help="a class by index or name (repeat for several; default: every class)")
    which.add_argument("--every-class", action="store_true", help="every class of the run")
    which.add_argument("--caption", help="a caption (text runs): images of any text")
    sample.add_argument("-n", "--number", type=int, default=8, help="images of each class or caption (default 8)")
    sample.add_argument("--seed", type=int, default=0, help="the noise's seed: the same seed, the same images")
    sample.add_argument("--device", default="auto", help="auto (a free GPU, else the CPU), cpu, cuda or cuda:N")
    sample.add_argument("--format", choices=FORMATS, default="png",
                        help="png: a file per image in the folder --out; grid: one picture, a row per class; "
                        "npz: an array (images: rows x N x C x H x W, uint8) with the rows' labels")
    sample.add_argument("--out", default="samples", help="folder (png) or file (grid, npz); default: samples")
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.number < 1:
        parser().error(f"-n/--number must be at least 1, not {args.number}")
    try:
        images, labels = draw_images(args)
        written = write(images, labels, args)
    except ExpectedError as error:
        print(f"embedgan sample: {error}", file=sys.stderr)
        return 2
    shape = "x".join(map(str, images.shape[-2:]))
    print(f"{images.shape[0] * images.shape[1]} images ({shape}) of {', '.join(labels)} -> "
          f"{written[0].parent if args.format == 'png' else written[0]}")
    return 0
