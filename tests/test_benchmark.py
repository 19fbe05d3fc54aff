"""scripts/benchmark.py: its table, on tiny data (the timings themselves are not tested)."""

import re

import yaml

import benchmark
from conftest import OFFLINE_ENCODER, REPO

ROW = re.compile(r"^\| (?P<label>[\w ]+) \| (?P<batch>\d+) \| (?P<ours>[\d.]+) \| (?P<theirs>[\d.]+) \| (?P<ratio>[\d.]+)x \|")


def tiny_config(tmp_path):
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["text_encoder"] = OFFLINE_ENCODER
    for entry in config["experiments"].values():
        entry["batch_size"] = min(entry["batch_size"], 16)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_benchmark_times_both_loops_and_writes_a_table(tmp_path, mirror):
    output = tmp_path / "docs" / "benchmarks.md"
    benchmark.main(
        ["--configfiles", str(tiny_config(tmp_path)), "--mirror", str(mirror),
         "--experiments", "exp2", "exp4", "--seconds", "0.2", "--rounds", "2", "--warmup", "1",
         "--skip-dry-run", "--skip-switches", "--output", str(output)]
    )
    text = output.read_text()
    assert text.startswith("# Benchmarks")
    assert "## CPU" in text and "Measured " in text
    rows = {m["label"]: m for m in map(ROW.match, text.splitlines()) if m}
    assert set(rows) == {"exp2", "exp2 encoder", "exp4"}
    for row in rows.values():
        ours, theirs = float(row["ours"]), float(row["theirs"])
        assert ours > 0 and theirs > 0
        assert abs(float(row["ratio"]) - ours / theirs) < 0.01 + 0.01 * ours / theirs
    assert rows["exp4"]["batch"] == "4"
    assert ">= 1.5x" in text.split("| exp4 |")[1].splitlines()[0]


def test_each_switch_that_applies_is_timed_against_itself_off(mirror):
    from test_train import keras_dataset, settings

    args = benchmark.argparse.Namespace(warmup=1, seconds=0.05, rounds=1)
    dataset = keras_dataset(mirror, "mnist")
    exp4 = benchmark.switch_rows("exp4", settings(batch_size=4), dataset, benchmark.torch.device("cpu"),
                                 benchmark.SPEEDUPS, args)
    # exp4's classifier never sees fakes: no joint call to time; the CUDA switches do not apply.
    assert [row[1] for row in exp4] == ["fused_optimizer", "channels_last", "flush_denormal"]
    assert all(row[0] == "exp4" and row[2] > 0 and row[3] > 0 for row in exp4)
    table = "\n".join(benchmark.switch_table(exp4))
    assert re.search(r"^\| exp4 \| fused_optimizer \| [\d.]+ \| [\d.]+ \| [\d.]+x \|$", table, re.M)


def test_a_rerun_replaces_its_own_device_section_only(tmp_path):
    output = tmp_path / "benchmarks.md"
    benchmark.write_section(output, "## CUDA, Some GPU\n\nold gpu table\n")
    benchmark.write_section(output, "## CPU, x86_64, 2 threads\n\nold cpu table\n")
    benchmark.write_section(output, "## CPU, x86_64, 2 threads\n\nnew cpu table\n")
    text = output.read_text()
    assert "old gpu table" in text and "new cpu table" in text and "old cpu table" not in text
    assert text.count("## CPU") == 1


def test_dry_run_of_the_default_config_is_timed():
    assert 0 < benchmark.dry_run_seconds(repeats=1) < 60


def test_each_loop_runs_with_its_own_process_wide_switches(mirror):
    """Building the notebook loop (speed-ups off) must not turn them off for the workflow loop:
    each step sets them for itself."""
    from test_train import denormal_survives, keras_dataset, settings

    dataset = keras_dataset(mirror, "mnist")
    try:
        trainer = benchmark.Trainer(settings(batch_size=4), dataset, benchmark.torch.device("cpu"))
        notebook = benchmark.NotebookLoop(
            benchmark.with_stock_layers(
                benchmark.Trainer(settings(batch_size=4), dataset, trainer.device, benchmark.NO_SPEEDUPS)
            ),
            dataset,
            [],
        )
        workflow_step = benchmark.trainer_steps(trainer, "both")
        workflow_step()
        assert not denormal_survives()  # flush_denormal on, as configured
        notebook.step("both")
        assert denormal_survives()  # the notebook's default
        workflow_step()
        assert not denormal_survives()
    finally:
        benchmark.torch.set_flush_denormal(False)
