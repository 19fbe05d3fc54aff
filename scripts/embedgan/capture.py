"""CUDA-graph capture around any step function.

`GraphedStep(step, device, name)` is called like `step(*tensors) -> dict[str, Tensor]`: a few
eager warm-up calls on a side stream first (lazy initialisations: optimiser state, cuDNN's
choice of algorithms), then one call recorded as a CUDA graph, then replays of it. Replaying
launches every kernel of the step at once, which at batch size 4 is most of the time the step
would otherwise spend in Python and kernel launches. The tensors must keep their shapes (the
trainer sends partial batches to the eager step). A capture that fails ends the job with one
line (CaptureError): in torch 2.14.1 a capture that raises can leave the capture stream current
and the CUDA generator in capture state, so eager steps after it would not be the eager path.
The run's last checkpoint lets the rerun go on, with `speedups.graph_capture: false` if need be.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import torch

from .errors import ExpectedError

log = logging.getLogger("embedgan.capture")

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


class GraphedStep:
    def __init__(self, step: Callable[..., dict], device: torch.device, name: str):
        self.step, self.device, self.name = step, device, name
        self.warmup_left = WARMUP_STEPS
        self.captured: CapturedStep | None = None

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
        try:
            self.captured = CapturedStep(self.step, tensors, self.device)
        except RuntimeError as err:
            raise CaptureError(
                f"CUDA graph capture failed ({' '.join(str(err).split())}); set "
                "speedups.graph_capture: false to train without it"
            ) from err
        log.info("captured the %r training step as a CUDA graph", self.name)
        return self.captured(*tensors)
