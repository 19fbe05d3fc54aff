"""CUDA-graph capture around any step function.

`GraphedStep(step, device, name)` is called like `step(*tensors) -> dict[str, Tensor]`: a few
eager warm-up calls on a side stream first (lazy initialisations: optimiser state, cuDNN's
choice of algorithms), then one call recorded as a CUDA graph, then replays of it. Replaying
launches every kernel of the step at once, which at batch size 4 is most of the time the step
would otherwise spend in Python and kernel launches. The tensors must keep their shapes (the
trainer sends partial batches to the eager step).

A capture that fails does not end the run: it goes on eagerly after one warning line. A capture
that raises can leave the capture stream current and the CUDA generator in capture state, so
both are put back first (the device's default stream; the generator's state as it was before
the capture, in a state object that is not capturing). Where that itself fails, the job ends
with one line (CaptureError); its last checkpoint lets the rerun go on with
`speedups.graph_capture: false`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import torch

from embedgan.errors import ExpectedError

log = logging.getLogger("embedgan.training.capture")

WARMUP_STEPS = 3  # eager calls (on a side stream) before the capture


class CaptureError(ExpectedError, RuntimeError):
    """A step could not be captured as a CUDA graph."""


class CapturedStep:
    """One call of `step` recorded as a CUDA graph, on a stream of the run's own device; the
    inputs are copied into the graph's own tensors before each replay, and the outputs copied
    out after it."""

    def __init__(
        self, step: Callable[..., dict], tensors: tuple[torch.Tensor, ...], device: torch.device
    ):
        self.inputs = tuple(tensor.clone() for tensor in tensors)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph, stream=torch.cuda.Stream(device)):
            self.outputs = step(*self.inputs)

    def __call__(self, *tensors: torch.Tensor) -> dict:
        for own, given in zip(self.inputs, tensors, strict=True):
            own.copy_(given)
        self.graph.replay()
        return {key: value.clone() for key, value in self.outputs.items()}


def reset_after_failed_capture(device: torch.device, rng_state: torch.Tensor) -> None:
    """The eager path back after a capture that raised: the device's default stream current,
    and its default generator at `rng_state` in a state object that is not capturing."""
    torch.cuda.set_stream(torch.cuda.default_stream(device))
    clean = torch.Generator(device=device)
    clean.set_state(rng_state)
    torch.cuda.default_generators[device.index].graphsafe_set_state(clean.graphsafe_get_state())
    torch.cuda.synchronize(device)


class GraphedStep:
    """`step`, warmed up, captured and replayed (the module's docstring); after a failed
    capture, `failed` and eager (the caller runs the step itself)."""

    def __init__(self, step: Callable[..., dict], device: torch.device, name: str):
        self.step, self.device, self.name = step, device, name
        self.warmup_left = WARMUP_STEPS
        self.captured: CapturedStep | None = None
        self.failed = False

    def __call__(self, *tensors: torch.Tensor) -> dict:
        if self.captured is not None:
            return self.captured(*tensors)
        if self.warmup_left > 0:
            self.warmup_left -= 1
            side = torch.cuda.Stream(self.device)
            side.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(side):
                outputs = self.step(*tensors)
            torch.cuda.current_stream(self.device).wait_stream(side)
            return outputs
        rng_state = torch.cuda.get_rng_state(self.device)
        try:
            self.captured = CapturedStep(self.step, tensors, self.device)
        except RuntimeError as err:
            cause = " ".join(str(err).split())
            try:
                reset_after_failed_capture(self.device, rng_state)
            except RuntimeError as reset_err:
                raise CaptureError(
                    f"CUDA graph capture failed ({cause}), and the eager path could not be put back "
                    f"({' '.join(str(reset_err).split())}); set speedups.graph_capture: false to "
                    "train without it"
                ) from err
            self.failed = True
            log.warning(
                "CUDA graph capture of the %r step failed (%s): training goes on eagerly "
                "(speedups.graph_capture: false skips the attempt)", self.name, cause,
            )
            return self.step(*tensors)
        log.info("captured the %r training step as a CUDA graph", self.name)
        return self.captured(*tensors)
