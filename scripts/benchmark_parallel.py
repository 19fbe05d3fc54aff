"""Two 1-thread training jobs side by side, or one 2-thread job after the other?

    python scripts/benchmark_parallel.py --mirror ../shared/data

On a machine with few cores (the CPU presets run on 2), Snakemake can run the training jobs one
at a time with `train_threads` = the cores, or several at once with fewer threads each. Small
batches (exp1 and exp4 take 4 images a step) use a second thread poorly. For pairs of the
study preset's experiments this times a fixed number of training steps of each, in one run:
  - one after the other, each in its own process with 2 threads;
  - both at once, each in its own process with 1 thread;
and prints the ratio of the wall times (above 1: side by side is faster). The table goes into
docs/benchmarks.md under its own heading; the study preset's `train_threads` follows it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmark import write_section
from embedgan.config.settings import load_config, resolve
from embedgan.datasets import data
from embedgan.machine.host import cpu_kind

REPO = Path(__file__).resolve().parents[1]
PAIRS = (("exp1", "exp4"), ("exp3", "exp5"), ("cgan_cifar10", "cgan_mnist"))

# One training job: `steps` steps of an experiment with `threads` threads, as the train rule runs it.
DRIVER = """
import json, sys, time, torch
from embedgan.datasets import data
from embedgan.training.train import Trainer
args = json.loads(sys.argv[1])
torch.set_num_threads(args["threads"])
trainer = Trainer(args["settings"], data.load(args["images"]), torch.device("cpu"))
trainer.log_every = 10**9
order = trainer.draw_epoch_order().split(trainer.settings.batch_size)
for batch in order[:3]:
    trainer.advance(batch, trainer.phases[0][0])
start = time.perf_counter()
for batch in order[3 : 3 + args["steps"]]:
    trainer.advance(batch, trainer.phases[0][0])
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def start(settings: dict, images: str, steps: int, threads: int) -> subprocess.Popen:
    arguments = json.dumps({"settings": settings, "images": images, "steps": steps, "threads": threads})
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, arguments], cwd=REPO / "scripts", stdout=subprocess.PIPE, text=True
    )


def wait(process: subprocess.Popen) -> float:
    """The seconds the job's timed steps took."""
    output, _ = process.communicate()
    if process.returncode:
        raise SystemExit(f"a training job failed (exit {process.returncode})")
    return json.loads(output.strip().splitlines()[-1])["seconds"]


def timed(jobs: list[tuple[dict, str, int]], side_by_side: bool) -> float:
    """Wall time of the jobs, run side by side (1 thread each) or one after the other (2)."""
    begin = time.perf_counter()
    if side_by_side:
        for process in [start(*job, threads=1) for job in jobs]:
            wait(process)
    else:
        for job in jobs:
            wait(start(*job, threads=2))
    return time.perf_counter() - begin


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirror", required=True, help="local data folder")
    parser.add_argument(
        "--configfiles", nargs="*", default=["config/ladder.yaml", "config/study.yaml"],
        help="laid over config/config.yaml",
    )
    parser.add_argument("--seconds", type=float, default=40.0, help="about this long per job at 2 threads")
    parser.add_argument("--pairs", nargs="+", default=[",".join(pair) for pair in PAIRS],
                        help="experiment pairs, e.g. exp1,exp4")
    parser.add_argument("--output", default=str(REPO / "docs" / "benchmarks.md"))
    args = parser.parse_args(argv)
    config = load_config([REPO / path for path in args.configfiles])
    described = data.described(config.get("datasets") or {})
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        files = {}
        for name in ("mnist", "cifar10"):
            files[name] = str(Path(scratch) / f"{name}.npz")
            data.fetch(name, data.DATASETS[name], files[name], Path(scratch) / f"{name}.json", args.mirror, scratch)
        for pair in (tuple(text.split(",")) for text in args.pairs):
            jobs = []
            for exp in pair:
                settings = {**resolve(config, exp, described).training, "epochs": 1000}
                # steps for about `seconds` at 2 threads: a short probe of 10 steps first
                per_step = wait(start(settings, files[settings["dataset"]], 10, 2)) / 10
                jobs.append((settings, files[settings["dataset"]], max(10, round(args.seconds / per_step))))
            serial = timed(jobs, side_by_side=False)
            parallel = timed(jobs, side_by_side=True)
            rows.append((pair, [job[2] for job in jobs], serial, parallel))
            print(f"{' + '.join(pair)}: one after the other (2 threads) {serial:.1f} s, side by side "
                  f"(1 thread each) {parallel:.1f} s, ratio {serial / parallel:.2f}x", flush=True)
    lines = [
        f"## Two 1-thread jobs side by side, or one 2-thread job at a time (CPU, {cpu_kind()})",
        "",
        f"Measured {datetime.date.today().isoformat()} by `python scripts/benchmark_parallel.py "
        f"{' '.join(sys.argv[1:] if argv is None else argv)}`: the same training steps of two of "
        "the study preset's experiments, one after the other with 2 threads each, then both at once "
        "with 1 thread each (each job in its own process, start-up included). Ratio above 1: side "
        "by side is faster.",
        "",
        "| experiments | steps | one after the other, 2 threads | side by side, 1 thread each | ratio |",
        "|---|---|---:|---:|---:|",
        *(f"| {' + '.join(pair)} | {' + '.join(map(str, steps))} | {serial:.1f} s | {parallel:.1f} s "
          f"| {serial / parallel:.2f}x |" for pair, steps, serial, parallel in rows),
    ]
    write_section(Path(args.output), "\n".join(lines) + "\n")
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
