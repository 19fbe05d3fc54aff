"""Run-time plumbing shared by the entry points: logs, atomic writes, fingerprints, seeds."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import random
import tempfile
import traceback
from pathlib import Path

import numpy as np

from embedgan.errors import ExpectedError, UnreadableFile, WriteError


def current_umask() -> int:
    """The process's umask: from /proc (Linux) without changing it, else by setting it and
    setting it back."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike):
    """Yield a temporary path beside `target`; it replaces `target` only on success, once its
    bytes are on the disk (fsync: a node that dies after the rename keeps the whole file), with
    the mode a plain open() would give it under the process's umask (readable by the group and
    others under the usual 022, as colleagues and a web server need).
    A write that fails (a full disk) leaves `target` as it was and no partial file, and ends
    with a WriteError naming `target` and the cause."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(fd)
    except OSError as err:
        raise WriteError(f"cannot write {target}: {err.strerror or err}") from err
    try:
        yield tmp
        with open(tmp, "rb") as written:
            os.fsync(written.fileno())
        os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp's 600 would hide the file from the group
        os.replace(tmp, target)
    except OSError as err:
        raise WriteError(
            f"cannot write {target}: {err.strerror or err}; nothing was written there"
            + (" (it keeps its previous contents)" if target.exists() else "")
        ) from err
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_json(path: str | os.PathLike, record: dict) -> None:
    """`record` as indented JSON at `path`, atomically."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(record, indent=1) + "\n")


def save_tensors(path: str | os.PathLike, record: dict) -> None:
    """`record` (tensors and plain data only: what load_tensors reads back) at `path`, atomically."""
    import torch

    with atomic_path(path) as tmp:
        torch.save(record, tmp)


def load_tensors(path: str | os.PathLike) -> dict:
    """A file written by save_tensors, read on the CPU with torch.load(weights_only=True):
    tensors, numbers, strings, lists and dicts, nothing that runs code when unpickled. A file
    that holds anything else, or is damaged, is refused with an UnreadableFile naming it."""
    import pickle

    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        reason = str(err).split("WeightsUnpickler error: ", 1)[-1].split(" was not an allowed")[0]
        reason = " ".join(reason.split(" Check the documentation")[0].split()[:12]).strip()
        if reason.startswith("Unsupported global"):
            raise UnreadableFile(
                f"{path} holds objects other than tensors and plain data ({reason}): refused, "
                "since loading it could run code; it was not written by this workflow"
            ) from err
        raise UnreadableFile(f"{path} cannot be read: not a file of tensors ({reason or err})") from err
    except Exception as err:  # random bytes can trip the unpickler in any way (IndexError, ...)
        message = " ".join(str(err).split()[:16]) or type(err).__name__
        raise UnreadableFile(f"{path} cannot be read ({type(err).__name__}: {message})") from err


@contextlib.contextmanager
def log_to(path: str | os.PathLike):
    """Send stdout, stderr and `logging` of the block to a log file.

    An error raised on purpose (errors.ExpectedError) ends the log, and the process, with its
    one message: the job fails with exit status 1 and that line on stderr, no traceback. Any
    other exception is logged with its traceback and raised on.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", buffering=1) as log_file:
        handler = logging.StreamHandler(log_file)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        try:
            with contextlib.redirect_stdout(log_file), contextlib.redirect_stderr(log_file):
                yield log_file
        except ExpectedError as err:
            log_file.write(f"error: {err}\n")
            raise SystemExit(f"error: {err}") from None
        except BaseException:
            traceback.print_exc(file=log_file)
            raise
        finally:
            root.removeHandler(handler)


def fingerprint(settings: dict, manifest_path: str | os.PathLike) -> str:
    """What a checkpoint must match to be resumed: the settings and the data set's sha256."""
    dataset_sha256 = json.loads(Path(manifest_path).read_text())["sha256"]
    text = json.dumps({"settings": settings, "dataset": dataset_sha256}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)

