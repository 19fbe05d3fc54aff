"""CPU results stay bit-identical across refactorings: tiny runs against recorded digests.

Floating-point results of the same code differ between CPU instruction sets (torch's CPU
capability: its own kernels, oneDNN's and MKL's pick their code by it) and torch builds, so
the digests are recorded per capability, and the test checks the set of the capability it
runs on and names it. A change that alters any weight or loss of these runs on the CPU fails.

Each set has two parts: the runs with the CPU speed-up switches off (the trajectories of the
trainer before them), and with the default switches (fused Adam, one
discriminator call on real and fake images, channels_last: each changes the last bits).

- AVX2, speed-ups off: recorded with the code an earlier study (before the ladder; its page
  since replaced) was trained with (commit bd08bc1; the same digests come from 85f84d0, before
  the GPU-path and evaluation work, from a2d21f9, before the refactoring of "A house a newcomer
  can change", and after it).
- AVX2, default speed-ups: recorded when the CPU speed-ups were turned on by default (all
  three runs changed: exp4_noise and exp3 by fused Adam and channels_last, exp1 by fused Adam,
  channels_last and the joint discriminator call).
- AVX512 on AMD, both parts: recorded on an AMD EPYC with AVX-512 (AVX512_BF16 too) at commit
  e110a19, whose training code is that of the last AVX2 run of this test (passed), so these are
  the same trajectories computed with AVX-512 kernels.
- AVX512 on Intel: an Intel Xeon with AVX-512, AVX512_FP16 and AMX computes other last bits
  than the AMD EPYC with the same capability (the libraries pick other kernels by vendor), so
  the sets are kept per capability and vendor. Recorded at commit f6c870d (the code of the
  last passing AMD run) and checked equal at e860cc6 and after.
- Any other host kind skips, saying so. To record its set, on such a host at a commit where
  a recorded set passes (the same numbers), run
  `PYTHONPATH=scripts:tests .venv/bin/python tests/test_golden.py`: it trains the runs in a
  temporary folder and prints the entry to add to DIGESTS.
"""

import hashlib
import tempfile
from pathlib import Path

import pytest
import torch

from conftest import EXPERIMENT_KINDS, write_keras_npz
from embedgan.datasets import data
from embedgan.machine.host import cpuinfo_field
from test_train import fetched, run, settings  # noqa: F401  (fetched: a fixture)

TORCH = "2.14.1+cu130"  # the build every recorded set is of
RUNS = {
    "exp4_noise": settings(noise_dim=8),
    "exp1": settings(**EXPERIMENT_KINDS["exp1"]),
    "exp3": settings(**EXPERIMENT_KINDS["exp3"], batch_size=32),
}
# The CPU speed-ups off (flush_denormal, older, stays on), or every switch at its default.
CPU_SPEEDUPS = ("fused_optimizer", "joint_discriminator", "channels_last")
SWITCHES = {"speedups off": dict.fromkeys(CPU_SPEEDUPS, False), "default speedups": None}
DIGESTS = {
    "AVX2 AuthenticAMD": {
        "speedups off": {
            "exp4_noise": "d97c5b31f95dc67d2a1f04e6602f86c3e0cc83fc7b8d68997cb9c94f5c102096",
            "exp1": "2f9ec60376336c5e09ad54b8a43dbc93fbbca0a31f887b6ec5b125397494a81b",
            "exp3": "1798ccdbf67f8dc2887828eba6a2714acc6373f3d6bce4638cbdca80573a11f9",
        },
        "default speedups": {
            "exp4_noise": "9ebc85009f8ba06232af955a77adde033eea947020179f38650c295e2e08ed7e",
            "exp1": "f9ce13f822b020efaef24d5e65f9ccc575c61daa0e686d251f78988c64964645",
            "exp3": "9b1bebf22c3c4d521a3b041d2895552f6691bd2d6ea5a8cff67301542fafd77a",
        },
    },
    "AVX512 AuthenticAMD": {
        "speedups off": {
            "exp4_noise": "54ca2ac9f0e47e66fb77f537781f823bb62b3b5d894d00615d4d2dfca2daad97",
            "exp1": "725012e4357a804435a7b8dfdeaa4894ed6f7d71f21889e638a8ee21f1d4ae4c",
            "exp3": "8d09c564b15596af5c57e4ab951ee1e92a2b83583795608f8e3d6ac8be490cab",
        },
        "default speedups": {
            "exp4_noise": "9dd42d74ae5858fa485448a5576201ebbc62e09894e92913becf50b8706af37a",
            "exp1": "682fa5d6da37a18f39d73a2a7d2bbd5e896f929813ca460399ba6f519c444d2b",
            "exp3": "ddf4fcbe9c17638fa8f35141f1861badfdcfae5ff2d632311072bb27d34c98da",
        },
    },
    "AVX512 GenuineIntel": {
        "speedups off": {
            "exp4_noise": "47141012208f10e9ab0fb00e2c4e235a184dee6c3010513fd48230a7bc915b1b",
            "exp1": "2525106aee4d3ea35b099160105f7084d580a549b817843ac4085b33a4538dcf",
            "exp3": "95eab9d4b07f1ca752d0ed1c07e14470802b0ef12d6af0d45c3740b8f73f37f1",
        },
        "default speedups": {
            "exp4_noise": "df779502787a68fa55ef392095ae722b4e642e7ba433babc2fe1350615580762",
            "exp1": "4b0bfaf9eae3fca99b38b8cc27d22661242a798cc26aff2b7c5217b97f87ebec",
            "exp3": "a02eac1b4ece11a7d32f659cca16f6a3ba4c958870193c5c7bb29abdaeaa31f5",
        },
    },
}
# The kind of host a set is recorded for: torch's CPU capability and the CPU's vendor.
CAPABILITY = f"{torch.backends.cpu.get_cpu_capability()} {cpuinfo_field('vendor_id') or 'unknown vendor'}"


def digest(out) -> str:
    networks = torch.load(out / "model.pt", weights_only=False)["networks"]
    sha = hashlib.sha256()
    for net in sorted(networks):
        for name in sorted(networks[net]):
            sha.update(f"{net}.{name}".encode())
            sha.update(networks[net][name].contiguous().numpy().tobytes())
    sha.update((out / "history.json").read_bytes().split(b'"loss":')[1])
    return sha.hexdigest()


def unrecorded_reason() -> str | None:
    """Why this host cannot check the digests, or None where it can."""
    if torch.__version__ != TORCH:
        return f"digests recorded with torch {TORCH}, this is {torch.__version__}"
    if CAPABILITY not in DIGESTS:
        return (
            f"no digests recorded for a {CAPABILITY} host (recorded: {', '.join(DIGESTS)}); "
            "record them with `PYTHONPATH=scripts:tests .venv/bin/python tests/test_golden.py` (see its docstring)"
        )
    return None


@pytest.fixture
def one_thread():
    """Sums split over threads round differently: the digests are of single-thread runs."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.skipif(unrecorded_reason() is not None, reason=str(unrecorded_reason()))
@pytest.mark.parametrize("switches", list(SWITCHES))
@pytest.mark.parametrize("name", list(RUNS))
def test_cpu_weights_are_bit_identical_to_the_recorded_ones(tmp_path, fetched, one_thread, name, switches):  # noqa: F811
    out = run(tmp_path, fetched, name, RUNS[name], speedups=SWITCHES[switches])
    assert digest(out) == DIGESTS[CAPABILITY][switches][name], (
        f"{name} with {switches} on {CAPABILITY} differs from its recorded digest"
    )


def record() -> dict:
    """The digests of this host's capability, from runs in a temporary folder."""
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)

        def fetch(name):  # test_train's `fetched`, outside pytest
            write_keras_npz(root / "mirror" / f"{name}.npz", name)
            out = root / "datasets"
            data.fetch(name, data.DATASETS[name], out / f"{name}.npz", out / f"{name}.json", str(root / "mirror"), str(root))
            return out / f"{name}.npz", out / f"{name}.json"

        return {
            switches: {
                name: digest(run(root, fetch, f"{name}-{i}", experiment, speedups=speedups))
                for name, experiment in RUNS.items()
            }
            for i, (switches, speedups) in enumerate(SWITCHES.items())
        }


if __name__ == "__main__":
    print(f"torch {torch.__version__}; add to DIGESTS:")
    print(f'    "{CAPABILITY}": {record()},')
