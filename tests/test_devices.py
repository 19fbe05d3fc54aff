"""Which device a job computes on (embedgan.machine.devices), on a CPU with torch.cuda patched: a GPU
that torch cannot use stops `auto` with its cause; jobs side by side hold a GPU each."""

import subprocess
import sys
import time

import pytest
import torch

from conftest import REPO
from embedgan.errors import DeviceError
from embedgan.machine import devices
from embedgan.machine.devices import select_device

CPU = torch.device("cpu")
# Where a GPU is present the patched calls would reach real devices.
pytestmark = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")

DRIVER_550 = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024\n"
OPEN_DRIVER_580 = "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.65.06  Release Build\n"


@pytest.fixture
def machine(tmp_path, monkeypatch):
    """machine(driver=None, nodes=0, cuda="13.0"): a machine whose NVIDIA driver file says
    `driver`, with `nodes` GPU device nodes, and a torch built for `cuda` that sees no GPU."""

    def make(driver: str | None = None, nodes: int = 0, cuda: str | None = "13.0"):
        proc = tmp_path / "proc-nvidia-version"
        if driver is not None:
            proc.write_text(driver)
        dev = tmp_path / "dev"
        dev.mkdir(exist_ok=True)
        for i in range(nodes):
            (dev / f"nvidia{i}").touch()
        monkeypatch.setattr(devices, "NVIDIA_DRIVER", proc)
        monkeypatch.setattr(devices, "NVIDIA_DEVICES", str(dev / "nvidia[0-9]*"))
        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
        monkeypatch.setattr(torch.version, "cuda", cuda)

    return make


def test_auto_takes_the_cpu_on_a_machine_without_an_nvidia_gpu(machine):
    machine()
    assert select_device("auto") == CPU


def test_auto_stops_where_the_driver_is_too_old_for_the_wheel(machine):
    machine(driver=DRIVER_550, nodes=1)
    with pytest.raises(DeviceError) as stopped:
        select_device("auto")
    message = str(stopped.value)
    for part in ("`device` is 'auto'", "NVIDIA driver 550.54.14 loaded", "built for CUDA 13.0",
                 "needs NVIDIA driver 580 or newer; the driver is 550.54.14", "CUDA 12 wheels", "`device: cpu`"):
        assert part in message, part


def test_auto_stops_where_the_gpu_is_there_but_not_seen(machine):
    machine(driver=OPEN_DRIVER_580)  # a new enough driver: the cause lies elsewhere
    with pytest.raises(DeviceError, match=r"driver 580\.65\.06 loaded.*check that the driver is loaded"):
        select_device("auto")


def test_device_nodes_alone_show_a_gpu(machine):
    machine(nodes=2)  # no driver file
    with pytest.raises(DeviceError, match="device node .*nvidia0"):
        select_device("auto")


def test_a_cpu_build_of_torch_beside_a_gpu_says_so(machine):
    machine(driver=DRIVER_550, cuda=None)
    with pytest.raises(DeviceError, match="a build without CUDA"):
        select_device("auto")


def test_cpu_is_taken_on_purpose_whatever_the_machine_has(machine):
    machine(driver=DRIVER_550, nodes=1)
    assert select_device("cpu") == CPU


def test_a_gpu_older_than_the_wheels_kernels_is_refused(fake_gpus, monkeypatch):
    made_current = fake_gpus(1)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (6, 1))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "Tesla P100")
    with pytest.raises(DeviceError, match=r"Tesla P100 \(cuda:0\) has compute capability 6.1; .* sm_80 and newer"):
        select_device("auto")
    assert made_current == []


# A training job's device selection in its own process, on a host of `count` patched GPUs: it
# writes its device to a file, then holds it until the test lets it go.
JOB = """
import sys, time, types
from pathlib import Path
import torch
from embedgan.machine import devices
count, locks, release, chosen = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
torch.cuda.is_available = lambda: True
torch.cuda.device_count = lambda: count
torch.cuda.get_device_properties = lambda i: types.SimpleNamespace(uuid=f"GPU-fake-{i}")
torch.cuda.get_device_capability = lambda device=None: (9, 0)
torch.cuda.get_arch_list = lambda: ["sm_90"]
torch._C._cuda_setDevice = lambda index: None
devices.LOCKS, devices.CLAIM_POLL_S = locks, 0.1
polls = chosen.with_suffix(".polls")  # a dot per poll of the claim's wait loop
devices.time = types.SimpleNamespace(sleep=lambda s: (polls.open("a").write("."), time.sleep(s)))
picked = str(devices.select_device("auto"))
chosen.with_suffix(".tmp").write_text(picked)
chosen.with_suffix(".tmp").rename(chosen)  # whole, or not there
while not release.exists():
    time.sleep(0.05)
"""


def start_job(tmp_path, count: int, name: str):
    process = subprocess.Popen(
        [sys.executable, "-c", JOB, str(count), str(tmp_path / "locks"), str(tmp_path / "release"),
         str(tmp_path / name)],
        cwd=REPO / "scripts", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    return process, tmp_path / name


def chosen_device(process, chosen, timeout_s: float = 30) -> str:
    """The device the job took, once it has written it."""
    deadline = time.monotonic() + timeout_s
    while not chosen.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert chosen.exists(), process.communicate(timeout=5)
    return chosen.read_text()


def test_two_jobs_side_by_side_on_a_two_gpu_host_take_one_gpu_each(tmp_path):
    first, second = start_job(tmp_path, 2, "first"), start_job(tmp_path, 2, "second")
    try:
        chosen = {chosen_device(*first), chosen_device(*second)}
    finally:
        (tmp_path / "release").touch()
        first[0].communicate(timeout=30), second[0].communicate(timeout=30)
    assert chosen == {"cuda:0", "cuda:1"}, chosen


def test_a_job_waits_while_every_gpu_is_held_and_takes_the_one_set_free(tmp_path):
    holder, waiting = start_job(tmp_path, 1, "holder"), None
    try:
        assert chosen_device(*holder) == "cuda:0"
        waiting = start_job(tmp_path, 1, "waiting")
        polls, deadline = waiting[1].with_suffix(".polls"), time.monotonic() + 60
        while (not polls.exists() or len(polls.read_text()) < 5) and not waiting[1].exists() \
                and time.monotonic() < deadline:
            time.sleep(0.05)  # torch's import takes seconds: wait for five polls of its claim
        assert not waiting[1].exists()  # no GPU taken while the holder holds the only one
        assert polls.exists() and len(polls.read_text()) >= 5, "the waiting job never polled"
        (tmp_path / "release").touch()  # the holder ends, its lock with it
        holder[0].communicate(timeout=30)
        assert chosen_device(*waiting) == "cuda:0"
    finally:
        (tmp_path / "release").touch()
        for job in (holder, waiting):
            if job:
                job[0].communicate(timeout=30)


def test_the_gpu_locks_are_shared_by_every_user_of_the_machine(fake_gpus, tmp_path, monkeypatch):
    """A sticky folder every user can write, lock files every user can open: two users' jobs
    claim GPUs from one set of locks."""
    fake_gpus(2)
    monkeypatch.setattr(devices, "LOCKS", tmp_path / "shared-locks")
    assert select_device("auto") == torch.device("cuda", 0)
    assert (tmp_path / "shared-locks").stat().st_mode & 0o7777 == 0o1777
    lock = tmp_path / "shared-locks" / "GPU-fake-0.lock"
    assert lock.stat().st_mode & 0o777 == 0o666 and lock.read_text().strip().isdigit()
