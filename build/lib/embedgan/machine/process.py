"""What a training job sets for its whole process: the speed-up switches, and SIGTERM and
SIGINT turned into a flag that the loop checks between steps (so that it can save a checkpoint
first)."""

from __future__ import annotations

import contextlib
import signal

import torch

# The config's `speedups`, each on unless the config turns it off (config/README.md says what
# each does); some apply on one device type only.
SPEEDUPS = {
    "fused_optimizer": True,
    "joint_discriminator": True,
    "channels_last": True,
    "flush_denormal": True,
    "cudnn_benchmark": True,
    "graph_capture": True,
}
ONLY_ON = {"flush_denormal": "cpu", "cudnn_benchmark": "cuda", "graph_capture": "cuda"}


def applied_speedups(device: torch.device, speedups: dict) -> dict:
    """The switches in force on this device (part of a checkpoint's identity)."""
    return {key: speedups[key] for key in SPEEDUPS if ONLY_ON.get(key, device.type) == device.type}


def apply_process_switches(device: torch.device, speedups: dict) -> None:
    """Set the speed-ups that are process-wide switches, not part of a model, for the loop
    about to run (another loop in the same process, as in the benchmark, may have changed them).
    """
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = speedups["cudnn_benchmark"]
    else:
        # Adam's first moments of weights whose gradient is zero (behind dead ReLUs) halve
        # each step (beta1 0.5) into denormals, on which CPU arithmetic is slow: exp4 steps
        # ran ~1.5x slower after a few hundred steps without this.
        torch.set_flush_denormal(speedups["flush_denormal"])


# A scheduler's notice (Slurm, `kill`) and Ctrl-C at a terminal, which reaches the training job
# too (Snakemake's process group) while Snakemake waits for it to end.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopFlag:
    signal: str | None = None  # the name of the signal that asked to stop, once one did

    @property
    def requested(self) -> bool:
        return self.signal is not None


@contextlib.contextmanager
def stop_on_signals():
    """Turn SIGTERM and SIGINT into a flag the loop checks after each step, so it can save
    first; the previous handlers are back when the block ends."""
    flag = StopFlag()

    def request_stop(signum, frame):
        flag.signal = signal.Signals(signum).name

    previous = {sig: signal.signal(sig, request_stop) for sig in STOP_SIGNALS}
    try:
        yield flag
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
