"""How many steps a run needs: its curve judged at every point of its generation record, and the
first point at which the trend test (embedgan.evaluation.curves) would have called it converged
had training stopped there, with the accuracy and per-class recall it had reached, each beside a
perfect generator's, and the training minutes it took (from the run's own clock, in proportion
to its steps). Reads a finished run's snapshots.npz and history.json, or, while the run is still
training, its last checkpoint. For sizing a study preset (config/study.yaml's header):

    python scripts/measure_convergence.py WORKDIR cgan_mnist cgan_mnist_w32 [--samples-per-class 50]

WORKDIR is the workflow folder of the run (its results/ and resources/); each run needs its
data set's reference classifier there (results/classifiers/<dataset>.pt and .json)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from embedgan.config.paths import ARTIFACTS, RESULTS, classifier_file, dataset_files  # noqa: E402
from embedgan.datasets import data  # noqa: E402
from embedgan.datasets.images import nhwc_to_nchw  # noqa: E402
from embedgan.evaluation.classifier import load_classifier  # noqa: E402
from embedgan.evaluation.curves import first_converged, judge_record  # noqa: E402
from embedgan.runtime import load_tensors  # noqa: E402


def record_of(run_dir: Path) -> dict:
    """The run's curve images, their steps, its steps done and its training seconds so far: from
    snapshots.npz and history.json when finished, else from its checkpoint."""
    if (run_dir / ARTIFACTS["snapshots"]).is_file():
        history = json.loads((run_dir / ARTIFACTS["history"]).read_text())
        with np.load(run_dir / ARTIFACTS["snapshots"]) as snapshots:
            curve, steps = snapshots["curve"], snapshots["steps"].tolist()
        return {"curve": curve, "steps": steps, "done": history["steps"], "seconds": history["wall_time_s"],
                "finished": True}
    state = load_tensors(run_dir / ARTIFACTS["checkpoint"])["state"]
    return {"curve": np.stack([c.numpy() for c in state["curve"]]), "steps": list(state["snapshot_steps"]),
            "done": state["step"], "seconds": state["elapsed"], "finished": False}


def measure(workdir: Path, run: str, dataset: str, samples_per_class: int, device: torch.device) -> dict:
    record = record_of(workdir / RESULTS / run)
    images = data.load(str(workdir / dataset_files(dataset)["images"]))
    classifier = load_classifier(str(workdir / classifier_file(dataset, "model")), device, dataset)
    summary = json.loads((workdir / classifier_file(dataset, "summary")).read_text())
    classes = len(images.classes)
    judged = judge_record(
        classifier, record["curve"][:, :, :samples_per_class], record["steps"], nhwc_to_nchw(images.x_test).to(device),
        torch.from_numpy(images.y_test).to(device), classes, summary["test_accuracy"],
    )
    points, perfect, has_noise = judged["points"], judged["perfect"], judged["has_noise"]
    if not points:
        raise SystemExit(f"{run}: no curve points (curve_samples 0?): nothing to measure")
    found = first_converged(points, record["steps"], perfect, classes, has_noise)
    seconds_per_step = record["seconds"] / max(record["done"], 1)
    result = {
        "run": run, "finished": record["finished"], "steps_done": record["done"], "points": len(points),
        "minutes_done": record["seconds"] / 60, "perfect": perfect,
        "now": judged["status"],
        "last": {key: points[-1][key] for key in ("accuracy", "class_recall")},
        "curve": [{"step": s, "accuracy": p["accuracy"], "class_recall": p["class_recall"]}
                  for s, p in zip(record["steps"], points, strict=True)],
    }
    if found is not None:
        index, _ = found
        step = record["steps"][index]
        result["converged_at"] = {
            "step": step, "minutes": step * seconds_per_step / 60,
            **{key: points[index][key] for key in ("accuracy", "class_recall")},
            **{f"{key}_of_perfect": points[index][key] / perfect[key] for key in ("accuracy", "class_recall")
               if points[index][key] is not None and perfect[key]},
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workdir", type=Path)
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--samples-per-class", type=int, default=50)
    parser.add_argument("--json", type=Path, help="also write the measurements here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    results = [measure(args.workdir, run, args.dataset, args.samples_per_class, torch.device("cpu"))
               for run in args.runs]
    def number(value) -> str:
        return "–" if value is None else f"{value:.3f}"

    for result in results:
        where = result.get("converged_at")
        said = (f"converged by step {where['step']:,} ({where['minutes']:.0f} min): accuracy {where['accuracy']:.3f} "
                f"({where['accuracy_of_perfect']:.2f} of perfect), per-class recall {number(where['class_recall'])} "
                f"({where['class_recall_of_perfect']:.2f} of perfect)") if where else "not converged yet"
        print(f"{result['run']}: {result['steps_done']:,} steps in {result['minutes_done']:.0f} min, "
              f"{result['points']} points, now {result['now']}; {said}; last accuracy "
              f"{result['last']['accuracy']:.3f}, per-class recall {number(result['last']['class_recall'])} "
              f"(perfect {result['perfect']['accuracy']:.3f}, {number(result['perfect']['class_recall'])})")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
