"""Mutation testing as a habit: each mutant below breaks one line of the package on purpose; the
tests that cover that line run against it, and a mutant they do not catch is a claim the tests
do not prove. Prints each mutant as caught or survived, then the count; exits 1 if any survived.

    .venv/bin/python scripts/mutation_check.py            # every mutant
    .venv/bin/python scripts/mutation_check.py 3 7        # by number

Each mutant's tests must pass on the unmutated code first, and a mutant counts as caught only
where a test fails (not where pytest cannot run). It refuses to start where the files it mutates
have uncommitted changes, and puts each file back byte for byte after its mutant, on SIGTERM and
SIGHUP too. Add a mutant when you add a rule."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = "scripts"


@dataclass(frozen=True)
class Mutant:
    path: str  # under scripts/
    old: str  # one line (or less), found exactly once
    new: str
    tests: str  # the tests that cover it (pytest node ids or files, space-separated)
    why: str  # what the mutant breaks


MUTANTS = (
    Mutant("embedgan/evaluation/intervals.py", "min(1.0, (len(tested) - rank) * p)", "min(1.0, p)",
           "tests/test_intervals.py", "Holm's correction left out"),
    Mutant("embedgan/evaluation/intervals.py", "result = stats.ttest_ind(b, a, equal_var=False)",
           "result = stats.ttest_ind(b, a, equal_var=True)", "tests/test_intervals.py",
           "Welch's degrees of freedom replaced by the pooled n1 + n2 - 2"),
    Mutant("embedgan/evaluation/intervals.py", "several.std(ddof=1) * math.sqrt(1 + 1 / len(several))",
           "several.std(ddof=1)", "tests/test_intervals.py", "the prediction interval without sqrt(1 + 1/n)"),
    Mutant("embedgan/evaluation/intervals.py", "several.std(ddof=1) * math.sqrt(1 + 1 / len(several))",
           "several.std(ddof=0) * math.sqrt(1 + 1 / len(several))", "tests/test_intervals.py",
           "the prediction interval with ddof 0"),
    Mutant("embedgan/evaluation/intervals.py", "    scaled = to_scale(values, bounds)", "    scaled = values",
           "tests/test_intervals.py", "a mean's interval no longer kept inside the metric's range"),
    Mutant("embedgan/documents/claims.py",
           "return not math.isnan(self.adjusted_p) and self.adjusted_p < ALPHA and self.matters",
           "return not math.isnan(self.adjusted_p) and self.adjusted_p < ALPHA", "tests/test_intervals.py",
           "a difference inside the smallest that matters claimed"),
    Mutant("embedgan/evaluation/curves.py", "    if max(abs(low), abs(high)) <= smallest:", "    if abs(change) <= smallest:",
           "tests/test_curves.py", "flat judged on the slope without its interval"),
    Mutant("embedgan/evaluation/curves.py", "<= (1 / classes + accuracy) / 2", "<= accuracy / 4", "tests/test_curves.py",
           "the stalled threshold moved"),
    Mutant("embedgan/evaluation/curves.py", 'JUDGED_WITHOUT_NOISE = ("accuracy",)',
           'JUDGED_WITHOUT_NOISE = ("accuracy", "class_recall")', "tests/test_curves.py",
           "a generator without noise judged on its per-class recall"),
    Mutant("embedgan/evaluation/catalogue.py", "bounds=UNIT, smallest_difference=0.02, class_aware=True),\n        Metric(\"cross",
           "bounds=UNIT, smallest_difference=0.2, class_aware=True),\n        Metric(\"cross",
           "tests/test_curves.py tests/test_catalogue.py", "accuracy's smallest difference tenfold"),
    Mutant("embedgan/evaluation/catalogue.py", "    smallest_difference: float = 0.05\n", "    smallest_difference: float = 0.5\n",
           "tests/test_curves.py", "per-class recall's smallest difference (a share's default) tenfold"),
    Mutant("embedgan/evaluation/catalogue.py", 'Metric("cas", "CAS", "{:.3f}", "{:.2f}", "higher",',
           'Metric("cas", "CAS", "{:.3f}", "{:.2f}", "lower",', "tests/test_catalogue.py", "CAS's direction flipped"),
    Mutant("embedgan/networks/inputs.py", "- 1 - log_variance).mean()", "- 1 - log_variance).sum(dim=1).mean()",
           "tests/test_beyond.py", "the KL summed over the code's dimensions"),
    Mutant("embedgan/training/train.py", "        loss_g = (loss_g + loss_2) / 2\n", "        loss_g = loss_g\n",
           "tests/test_control.py", "the second noise draw left out of the generator's loss"),
    Mutant("embedgan/documents/sweep.py", "max(known, key=lambda weight: (weaker(points[weight]), weight))",
           "min(known, key=lambda weight: (weaker(points[weight]), weight))", "tests/test_sweep.py",
           "the KL sweep's rule picks the worst weight"),
    Mutant("embedgan/config/arms.py", "if weights[0] <= 0 or weights[-1] < 100 * weights[0]:", "if weights[0] <= 0:",
           "tests/test_sweep.py", "a sweep over less than two decades allowed"),
    Mutant("embedgan/documents/first_screen.py",
           "        if not found.excludes_zero or (found.value > 0) != (claim.found.value > 0):",
           "        if not found.excludes_zero:", "tests/test_arms.py", "a claim whose sign turns called stable"),
    Mutant("embedgan/datasets/custom.py", 'images.append(np.asarray(image.convert("L" if shape[0] == 1 else "RGB")))',
           'images.append(np.asarray(image.convert("RGB")))',
           "tests/test_own_dataset.py::test_a_grey_folder_is_fetched_grey_and_read_back_pixel_for_pixel",
           "an image folder always read as colour"),
    Mutant("embedgan/cli.py", "        return int(wanted)\n", "        return 0\n",
           "tests/test_readme.py::test_a_class_is_asked_by_its_index_where_the_names_are_not_digits",
           "`--class 1` read as index 0"),
    Mutant("embedgan/runtime.py", "        os.chmod(tmp, 0o666 & ~current_umask())", "        pass",
           "tests/test_files.py", "outputs left at mkstemp's mode 600"),
    Mutant("embedgan/datasets/data.py", "    if samples_per_class > half:", "    if samples_per_class > fewest - half:",
           "tests/test_own_dataset.py", "a data set too small for the evaluation let through"),
    Mutant("embedgan/machine/devices.py", "        time.sleep(CLAIM_POLL_S)", "        return 0",
           "tests/test_devices.py::test_a_job_waits_while_every_gpu_is_held_and_takes_the_one_set_free",
           "the GPU claim gives up after one poll and takes a held GPU"),
    *(Mutant(script, line, line.split("=")[0] + '= torch.device("cpu")',
             "tests/test_emulated_device.py::test_sample_evaluate_cas_and_curve_run_on_the_device",
             "a stage computing on the CPU after selecting the device")
      for script, line in (("evaluate_experiment.py", '    device = select_device(snakemake.config["device"])'),
                           ("judge_curve.py", '    device = select_device(snakemake.config["device"])'),
                           ("sample_experiment.py", '    device = select_device(snakemake.config["device"])'))),
    Mutant("embedgan/training/checkpoints.py",
           '"cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,',
           '"cuda": torch.get_rng_state() if device.type == "cuda" else None,',
           "tests/test_emulated_device.py::test_an_interrupted_run_resumes_on_the_device",
           "a checkpoint saving the CPU's random state as the device's"),
    Mutant("cas_experiment.py", '        select_device(snakemake.config["device"]),', '        torch.device("cpu"),',
           "tests/test_emulated_device.py::test_sample_evaluate_cas_and_curve_run_on_the_device",
           "CAS computing on the CPU after selecting the device"),
    Mutant("embedgan/evaluation/classifier_training.py", "    images, labels = split_on(dataset, \"train\", device)",
           "    device = torch.device(\"cpu\")\n    images, labels = split_on(dataset, \"train\", device)",
           "tests/test_emulated_device.py::test_the_reference_classifiers_train_on_the_device",
           "the reference classifier training on the CPU"),
)


def pytest(tests: str) -> int:
    """The exit status of pytest on `tests` (1: a test failed; 0: all passed; else it could not run)."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-n", "0", "-p", "no:cacheprovider", *tests.split()],
        cwd=REPO, capture_output=True, text=True,
    ).returncode


def restore_on_signal(path: Path, original: bytes) -> None:
    """SIGTERM or SIGHUP (a timeout, a closed terminal) puts the file back before the script ends."""
    def handler(signum, frame):
        path.write_bytes(original)
        raise SystemExit(f"stopped by signal {signum}: {path} restored")

    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, handler)


def run(number: int, mutant: Mutant) -> bool:
    """Whether the mutant's tests catch it: a test fails (pytest's status 1, not an error of
    collection or usage); the file restored, byte for byte, however the run ends."""
    path = REPO / SCRIPTS / mutant.path
    original = path.read_bytes()
    text = original.decode()
    if text.count(mutant.old) != 1:
        raise SystemExit(f"mutant {number}: {mutant.path} does not hold its line exactly once: {mutant.old!r}")
    restore_on_signal(path, original)
    path.write_bytes(text.replace(mutant.old, mutant.new).encode())
    try:
        status = pytest(mutant.tests)
    finally:
        path.write_bytes(original)
    if status not in (0, 1):
        raise SystemExit(f"mutant {number}: pytest could not run {mutant.tests} (exit status {status})")
    return status == 1


def main(chosen: list[str]) -> int:
    picked = [(i, m) for i, m in enumerate(MUTANTS) if not chosen or str(i) in chosen]
    dirty = subprocess.run(["git", "status", "--porcelain", "--", *(f"{SCRIPTS}/{m.path}" for _, m in picked)],
                           cwd=REPO, capture_output=True, text=True).stdout
    if dirty:
        raise SystemExit(f"uncommitted changes in the files the mutants touch; commit or stash them first:\n{dirty}")
    for tests in dict.fromkeys(m.tests for _, m in picked):  # each test set passes unmutated first
        status = pytest(tests)
        if status != 0:
            raise SystemExit(f"{tests} does not pass on the unmutated code (exit status {status}): no mutant can be judged")
    survived = []
    for number, mutant in picked:
        start = time.perf_counter()
        caught = run(number, mutant)
        print(f"{number:2d} {'caught' if caught else 'SURVIVED'} ({time.perf_counter() - start:.0f} s) "
              f"{mutant.path}: {mutant.why}", flush=True)
        if not caught:
            survived.append(number)
    print(f"{len(picked) - len(survived)} of {len(picked)} caught" + (f"; survived: {survived}" if survived else ""))
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
