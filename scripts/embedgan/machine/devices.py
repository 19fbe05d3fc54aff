"""Which device a job computes on: the config's `device`, a GPU that torch cannot use named as
such (not a silent fall back to the CPU), and one GPU per job on a host with several.

`auto` takes a CUDA GPU where torch can use one and the CPU where the machine has none. Where
the machine has an NVIDIA GPU (its driver or device nodes are there) that torch cannot use, it
stops with the cause: a study that silently trains on the CPU would take days.

Jobs that Snakemake runs side by side (`--resources gpu=N`) each hold a GPU of their own: a job
asking for `auto` or `cuda` claims the first GPU that no other job of the machine holds (a lock
file per GPU, keyed by the GPU's UUID, held until the process ends) and waits where all are
held. An index (`cuda:1`) is taken as it is, unclaimed.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import logging
import os
import re
import tempfile
import time
from pathlib import Path

from embedgan.errors import DeviceError

log = logging.getLogger(__name__)

NVIDIA_DRIVER = Path("/proc/driver/nvidia/version")  # present where the driver is loaded
NVIDIA_DEVICES = "/dev/nvidia[0-9]*"  # the GPUs' device nodes
# The oldest driver of each CUDA major version (NVIDIA's compatibility table, Linux).
DRIVER_FOR_CUDA = {11: 450, 12: 525, 13: 580}
# Where jobs of this machine record the GPUs they hold (EMBEDGAN_GPU_LOCKS moves it).
LOCKS = Path(os.environ.get("EMBEDGAN_GPU_LOCKS", Path(tempfile.gettempdir()) / "embedgan-gpu-locks"))
CLAIM_POLL_S = 5.0
_held: list = []  # (index, open lock file) of the GPU this process holds


def select_device(requested: str):
    """Map the config's `device` (auto | cpu | cuda | cuda:N) to a torch device; a CUDA device
    comes back with its index, claimed (unless given) and made the current device."""
    import torch

    if requested == "cpu":
        return torch.device("cpu")
    if not torch.cuda.is_available():
        if requested == "auto" and not nvidia_gpu_evidence():
            return torch.device("cpu")
        raise DeviceError(unusable_gpu_message(requested))
    device = torch.device("cuda" if requested == "auto" else requested)
    count = torch.cuda.device_count()
    if device.index is not None and device.index >= count:
        raise DeviceError(
            f"config key `device` is {requested!r} but this job sees {count} CUDA GPU(s), "
            f"cuda:0 to cuda:{count - 1} (CUDA_VISIBLE_DEVICES="
            f"{os.environ.get('CUDA_VISIBLE_DEVICES', 'unset')}); use `device: cuda` or a "
            "listed index"
        )
    if device.index is None:
        device = torch.device("cuda", claim_gpu(count))
    check_kernels(device)
    return make_current(device)


def make_current(device):
    """A CUDA device with its index, made the current device (where CUDA graphs are captured
    and new work defaults); other devices as they are. An index-less `cuda` is the current
    device (torch.cuda.current_device(), which honours CUDA_VISIBLE_DEVICES):
    torch.cuda.set_device refuses a device without an index."""
    import torch

    if device.type != "cuda":
        return device
    if device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    torch.cuda.set_device(device)
    return device


# -- a GPU torch cannot use -------------------------------------------------------------
def nvidia_gpu_evidence() -> str | None:
    """What shows that this machine has an NVIDIA GPU (its driver, its device nodes), or None."""
    if NVIDIA_DRIVER.is_file():
        version = driver_version()
        return f"NVIDIA driver {version} loaded" if version else f"{NVIDIA_DRIVER} present"
    nodes = sorted(glob.glob(NVIDIA_DEVICES))
    return f"device node {nodes[0]}" if nodes else None


def driver_version() -> str | None:
    """The loaded NVIDIA kernel module's version, e.g. "550.54.14"."""
    try:
        text = NVIDIA_DRIVER.read_text()
    except OSError:
        return None
    found = re.search(r"Kernel Module(?: for \S+)?\s+(\d+\.\d+(?:\.\d+)?)", text)
    return found.group(1) if found else None


def unusable_gpu_message(requested: str) -> str:
    """Why torch cannot use the machine's GPU, and the ways on."""
    import torch

    evidence = nvidia_gpu_evidence()
    head = f"config key `device` is {requested!r} but torch {torch.__version__} cannot use a CUDA GPU"
    if evidence is None:
        return f"{head}: this machine shows none (no NVIDIA driver or device node); use `device: auto` or `device: cpu`"
    cuda = torch.version.cuda
    if cuda is None:
        cause = "this torch is a build without CUDA"
    else:
        needed = DRIVER_FOR_CUDA.get(int(cuda.split(".")[0]))
        version = driver_version()
        if needed and version and int(version.split(".")[0]) < needed:
            cause = f"this torch is built for CUDA {cuda}, which needs NVIDIA driver {needed} or newer; the driver is {version}"
        else:
            cause = (
                f"this torch is built for CUDA {cuda} (driver {needed or '?'} or newer): check that the "
                "driver is loaded and the GPU visible to this job (nvidia-smi, CUDA_VISIBLE_DEVICES)"
            )
    return (
        f"{head}, though the machine has one ({evidence}): {cause}. Update the driver, or install "
        "a torch build for it (docs/gpus.md, 'Drivers and the torch build': PyTorch's CUDA 12 wheels), or set "
        "`device: cpu` to train on the CPU on purpose"
    )


def check_kernels(device) -> None:
    """Refuse a GPU older than every architecture this torch build has kernels for (it would
    fail on the first operation with 'no kernel image is available')."""
    import torch

    major, minor = torch.cuda.get_device_capability(device)
    built = sorted(int(arch.split("_")[1]) for arch in torch.cuda.get_arch_list() if arch.startswith("sm_"))
    if built and major * 10 + minor < built[0]:
        raise DeviceError(
            f"{torch.cuda.get_device_name(device)} ({device}) has compute capability {major}.{minor}; "
            f"this torch {torch.__version__} has kernels for sm_{built[0]} and newer only: install a "
            "torch build that supports it, or set `device: cpu`"
        )


# -- one GPU per job --------------------------------------------------------------------
def gpu_identity(index: int) -> str:
    """A name of the GPU that all jobs of the machine share, whatever CUDA_VISIBLE_DEVICES each
    sees: its UUID."""
    import torch

    return str(torch.cuda.get_device_properties(index).uuid)


def shared_folder(folder: Path) -> None:
    """The lock folder, writable by every user of the machine (sticky, as /tmp), so that the
    jobs of two users claim GPUs from one set of locks."""
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):  # another user's folder: as it is
            folder.chmod(0o1777)


def lock_file(path: Path):
    """`path` opened for a lock, readable and writable by every user where this job makes it."""
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666)
    except PermissionError as err:
        raise DeviceError(
            f"cannot open the GPU lock {path} ({err.strerror}): set EMBEDGAN_GPU_LOCKS to a folder "
            "every job of this machine can write"
        ) from err
    with contextlib.suppress(OSError):  # past the umask, where this job owns it
        os.fchmod(descriptor, 0o666)
    return os.fdopen(descriptor, "a+")


def claim_gpu(count: int) -> int:
    """The index of a GPU that no other job of this machine holds, held by this process until
    it ends; the same one if this process holds one already. Waits while all are held."""
    if _held:
        return _held[0][0]
    shared_folder(LOCKS)
    with_others = False
    while True:
        for index in range(count):
            lock = lock_file(LOCKS / f"{gpu_identity(index)}.lock")
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.close()
                continue
            lock.truncate(0)
            lock.write(f"{os.getpid()}\n")
            lock.flush()
            _held.append((index, lock))
            log.info("holding GPU %d (%s) for this job", index, gpu_identity(index))
            return index
        if not with_others:
            log.info("all %d GPU(s) are held by other jobs (%s): waiting for one", count, LOCKS)
            with_others = True
        time.sleep(CLAIM_POLL_S)
