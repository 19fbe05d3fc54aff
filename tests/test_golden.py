"""CPU results stay bit-identical across refactorings: tiny runs against recorded digests.

The digests were recorded with the code an earlier study (before the ladder; its page since
replaced) was trained with (commit bd08bc1; the same digests come from 85f84d0, before the GPU-path and evaluation work);
a change that alters any weight or loss of these runs on the CPU fails here. Floating-point results of
the same code differ between CPU instruction sets and torch builds, so the test runs where the
digests were recorded and says so elsewhere.
"""

import hashlib

import pytest
import torch

from conftest import EXPERIMENT_KINDS
from test_train import fetched, run, settings  # noqa: F401  (fetched: a fixture)

RECORDED_ON = {"torch": "2.14.1+cu130", "cpu_capability": "AVX2"}
RUNS = {
    "exp4_noise": settings(noise_dim=8),
    "exp1": settings(**EXPERIMENT_KINDS["exp1"]),
    "exp3": settings(**EXPERIMENT_KINDS["exp3"], batch_size=32),
}
DIGESTS = {
    "exp4_noise": "d97c5b31f95dc67d2a1f04e6602f86c3e0cc83fc7b8d68997cb9c94f5c102096",
    "exp1": "2f9ec60376336c5e09ad54b8a43dbc93fbbca0a31f887b6ec5b125397494a81b",
    "exp3": "1798ccdbf67f8dc2887828eba6a2714acc6373f3d6bce4638cbdca80573a11f9",
}


def digest(out) -> str:
    networks = torch.load(out / "model.pt", weights_only=False)["networks"]
    sha = hashlib.sha256()
    for net in sorted(networks):
        for name in sorted(networks[net]):
            sha.update(f"{net}.{name}".encode())
            sha.update(networks[net][name].contiguous().numpy().tobytes())
    sha.update((out / "history.json").read_bytes().split(b'"loss":')[1])
    return sha.hexdigest()


here = {"torch": torch.__version__, "cpu_capability": torch.backends.cpu.get_cpu_capability()}


@pytest.fixture
def one_thread():
    """Sums split over threads round differently: the digests are of single-thread runs."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.skipif(here != RECORDED_ON, reason=f"digests recorded on {RECORDED_ON}, this is {here}")
@pytest.mark.parametrize("name", list(RUNS))
def test_cpu_weights_are_bit_identical_to_the_recorded_ones(tmp_path, fetched, one_thread, name):  # noqa: F811
    assert digest(run(tmp_path, fetched, name, RUNS[name])) == DIGESTS[name]
