"""The report reads each run's metrics back by the run the file names."""

import json

from embedgan.report import metrics_by_experiment


def test_metrics_are_matched_to_runs_by_name_not_by_position(tmp_path):
    runs = {"exp1": ["exp1", "exp1/seed1"], "exp2": ["exp2", "exp2/seed1"]}
    paths = []
    for name in ["exp2/seed1", "exp1", "exp2", "exp1/seed1"]:  # not in the order of `runs`
        path = tmp_path / f"{name.replace('/', '_')}.json"
        path.write_text(json.dumps({"run": {"name": name}, "accuracy": len(name)}))
        paths.append(str(path))
    grouped = metrics_by_experiment(runs, paths)
    assert {exp: [m["run"]["name"] for m in ms] for exp, ms in grouped.items()} == runs
