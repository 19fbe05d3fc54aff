"""CUDA's device rules, checked on a CPU: a test tool that runs code meant for a GPU on the CPU
while keeping the run's device apart from the CPU, so that what CUDA refuses fails here too.

Inside `emulated_cuda()`, `torch.device("cuda")` (cuda:0) is a device of its own that computes on
the CPU. Every tensor made on it or moved to it is an `EmulatedTensor`: a CPU tensor inside a
wrapper that reports `cuda:0` as its device, so code that asks a tensor for its device, or
turns it into NumPy (`.numpy()`, `np.asarray`: refused by torch itself, "can't convert cuda:0
device type tensor to numpy"), sees a GPU tensor. Every operation is checked, as CUDA checks it,
before it runs on the CPU:

- one operation mixing a device tensor with a CPU tensor of one or more dimensions (a CPU tensor
  of no dimensions is a scalar, which CUDA accepts; copies between devices are allowed);
- a CPU tensor indexed by an index on the device (a device tensor indexed by CPU indices is
  allowed, as on CUDA);
- a random generator of the other device: a CPU generator drawing device numbers, or the
  reverse (`torch.Generator(device="cuda")` makes a device generator).

torch.cuda's Python functions a run calls are stood in for (one device, no bf16). The device's
random numbers come from a state of its own, as CUDA's Philox generator keeps one: a seed and an
offset, 16 bytes (`torch.cuda.get_rng_state`), each random operation on the device drawing from
the CPU's generator seeded by both and advancing the offset; `torch.cuda.set_rng_state` refuses a
state of another size (the CPU's 5,056 bytes), as CUDA does. Every operation that computes on the
device is counted by name (`DEVICE_OPS`, since the block began), so a test can show where a
stage's convolutions and matrix products ran.

What it does not emulate: asynchrony and streams (every kernel runs at once, so a missing
synchronisation shows nothing), CUDA graphs (capture must be switched off), more than one device,
memory limits and pinned memory, CUDA's own numerics (cuDNN's algorithms, TF32, the order of
atomic additions), autocast on the device, and a file's recorded device location (a device tensor
is saved as a CPU tensor). Operations run through Python, so runs are slower: use tiny data.
"""

from __future__ import annotations

import collections
import contextlib
import copy
from types import SimpleNamespace

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten, tree_map

DEVICE = torch.device("cuda", 0)
CPU = torch.device("cpu")
BELOW = torch.device("meta")  # the device torch's C++ code sees an EmulatedTensor on
# Operations that take tensors of both devices on CUDA too: copies between devices.
CROSS_DEVICE = {torch.ops.aten.copy_.default, torch.ops.aten._to_copy.default, torch.ops.aten._copy_from.default}
# Indexing: the indexed tensor's device decides; CPU indices into a device tensor are allowed.
INDEXING = {
    torch.ops.aten.index.Tensor,
    torch.ops.aten.index_put_.default,
    torch.ops.aten.index_put.default,
    torch.ops.aten._index_put_impl_.default,
}


class DeviceRuleError(RuntimeError):
    """An operation that CUDA would refuse."""


# The operations computed on the device since the emulated block began, by name (aten's).
DEVICE_OPS: collections.Counter = collections.Counter()
# The device's random state: CUDA's Philox keeps a seed and an offset (16 bytes).
DEVICE_RNG = {"seed": 0, "offset": 0}
CUDA_STATE_BYTES = 16


class EmulatedTensor(torch.Tensor):
    """A tensor on the emulated device: a CPU tensor (`elem`) in a wrapper whose `device` says
    cuda:0. Below Python (autograd, torch's C++ code) the wrapper is on the `meta` device, as
    torch's FakeTensor is: a device apart from the CPU (what C++ makes like it, e.g. a gradient
    laid out like its parameter, comes back to the emulated device) that has no runtime to ask
    (CUDA's, which a CPU lacks, is never called)."""

    elem: torch.Tensor

    @staticmethod
    def __new__(cls, elem: torch.Tensor, requires_grad: bool = False):
        wrapper = torch.Tensor._make_wrapper_subclass(
            cls, elem.size(), strides=elem.stride(), storage_offset=elem.storage_offset(),
            dtype=elem.dtype, layout=elem.layout, device=BELOW, requires_grad=requires_grad,
        )
        wrapper.elem = elem.detach()
        return wrapper

    __torch_function__ = torch._C._disabled_torch_function_impl

    @classmethod
    def __torch_dispatch__(cls, func, types, args=(), kwargs=None):
        return run_checked(func, args, kwargs or {})

    @property
    def device(self) -> torch.device:
        return DEVICE

    @property
    def is_cuda(self) -> bool:
        return True

    @property
    def is_cpu(self) -> bool:
        return False

    @property
    def is_meta(self) -> bool:
        return False

    def cpu(self, memory_format=torch.preserve_format):
        return ToHost.apply(self)

    def cuda(self, device=None, non_blocking=False, memory_format=torch.preserve_format):
        return self

    def to(self, *args, **kwargs):
        device, dtype, _, memory_format = torch._C._nn._parse_to(*args, **kwargs)
        moved = ToHost.apply(self) if device is not None and device.type == "cpu" else self
        if dtype is None and memory_format is None:
            return moved
        return torch.Tensor.to(moved, dtype=dtype or moved.dtype, memory_format=memory_format or torch.preserve_format)

    def tolist(self):  # allowed on CUDA (a copy to the host)
        return self.elem.tolist()

    def numpy(self, *, force: bool = False):
        raise TypeError(
            f"can't convert {DEVICE} device type tensor to numpy. Use Tensor.cpu() to copy the "
            "tensor to host memory first."
        )

    def __repr__(self):
        return f"EmulatedTensor({self.elem!r}, device='{DEVICE}')"

    def __deepcopy__(self, memo):
        copied = EmulatedTensor(copy.deepcopy(self.elem, memo), requires_grad=self.requires_grad)
        if getattr(self, "_is_param", False):
            copied._is_param = True
        memo[id(self)] = copied
        return copied

    def __reduce_ex__(self, protocol):
        # Saved as the CPU tensor it holds (see the module's docstring).
        return self.elem.clone().requires_grad_(self.requires_grad).__reduce_ex__(protocol)


class ToHost(torch.autograd.Function):
    """A copy to the CPU (`.cpu()`, `.to("cpu")`), its gradient copied back to the device."""

    @staticmethod
    def forward(ctx, tensor):
        return tensor.elem.clone()

    @staticmethod
    def backward(ctx, grad):
        return EmulatedTensor(grad.elem if isinstance(grad, EmulatedTensor) else grad)


# The device generators made so far, by their native generator (an operation receives a new
# Python object for the same one), each kept alive so that no address is reused.
DEVICE_GENERATORS: dict[int, torch.Generator] = {}


class EmulatedGenerator(torch.Generator):
    """What `torch.Generator(...)` makes under the emulation: a device generator where asked for
    the device, else a CPU generator (both draw on the CPU)."""

    def __new__(cls, device: torch.device | str = "cpu"):
        return super().__new__(cls)  # a CPU generator, whatever the device asked for

    def __init__(self, device: torch.device | str = "cpu"):
        if torch.device(device).type == "cuda":
            DEVICE_GENERATORS[self._cdata] = self

    @property
    def device(self) -> torch.device:
        return generator_device(self)


def generator_device(generator: torch.Generator) -> torch.device:
    return DEVICE if generator._cdata in DEVICE_GENERATORS else CPU


def on_device(value) -> bool:
    return isinstance(value, EmulatedTensor)


def is_cpu_tensor(value) -> bool:
    return isinstance(value, torch.Tensor) and not on_device(value)


def target_device(func, tensors: list, kwargs: dict) -> torch.device:
    """Where the operation's results live: its `device` argument, else its tensors' device."""
    if kwargs.get("device") is not None:
        return DEVICE if torch.device(kwargs["device"]).type in ("cuda", BELOW.type) else CPU
    if func in INDEXING:
        return DEVICE if on_device(tensors[0]) else CPU
    return DEVICE if any(on_device(t) for t in tensors) else CPU


def check(func, args: tuple, kwargs: dict, tensors: list, device: torch.device) -> None:
    """Refuse what CUDA refuses (the module's docstring lists it); `tensors`: the operation's."""
    name = func.name() if hasattr(func, "name") else str(func)
    if func in INDEXING and is_cpu_tensor(args[0]):
        indices = [i for i in tree_flatten(args[1])[0] if isinstance(i, torch.Tensor)]
        if any(on_device(i) for i in indices):
            raise DeviceRuleError(
                f"{name}: indices should be either on cpu or on the same device as the indexed "
                f"tensor (cpu): a CPU tensor indexed by a {DEVICE} index"
            )
    if func not in CROSS_DEVICE:
        if func in INDEXING:  # the indices may be on the CPU; the rest must be on the device
            tensors = [args[0], *[t for t in tree_flatten(args[2:])[0] if isinstance(t, torch.Tensor)]]
        devices = {DEVICE if on_device(t) else CPU for t in tensors if on_device(t) or t.dim() > 0}
        if device == DEVICE and kwargs.get("device") is None:
            devices |= {DEVICE}
        if len(devices) > 1:
            shapes = ", ".join(f"{tuple(t.shape)} on {t.device}" for t in tensors)
            raise DeviceRuleError(
                f"{name}: Expected all tensors to be on the same device, but found at least two "
                f"devices, {DEVICE} and cpu ({shapes})"
            )
    generator = kwargs.get("generator")
    if generator is not None:
        if generator_device(generator).type != device.type:
            raise DeviceRuleError(
                f"{name}: Expected a '{device.type}' device type for generator but found "
                f"'{generator_device(generator).type}'"
            )


def run_checked(func, args: tuple, kwargs: dict):
    """Check the operation, run it on the CPU, and put its results on its device."""
    tensors = [t for t in tree_flatten((args, kwargs))[0] if isinstance(t, torch.Tensor)]
    device = target_device(func, tensors, kwargs)
    check(func, args, kwargs, tensors, device)
    wrappers = {id(t.elem): t for t in tensors if on_device(t)}

    def unwrap(value):
        return value.elem if on_device(value) else value

    plain_kwargs = tree_map(unwrap, kwargs)
    if plain_kwargs.get("device") is not None:
        plain_kwargs["device"] = CPU
    if device == DEVICE:
        DEVICE_OPS[func.overloadpacket.__name__ if hasattr(func, "overloadpacket") else str(func)] += 1
    if device == DEVICE and torch.Tag.nondeterministic_seeded in getattr(func, "tags", ()) and kwargs.get("generator") is None:
        result = with_device_rng(func, tree_map(unwrap, args), plain_kwargs)
    else:
        result = func(*tree_map(unwrap, args), **plain_kwargs)

    def wrap(value):
        if not isinstance(value, torch.Tensor) or device != DEVICE:
            return value
        # An in-place operation returns the very tensor it changed: its own wrapper.
        own = wrappers.get(id(value))
        return own if own is not None else EmulatedTensor(value)

    return tree_map(wrap, result)


class DeviceRules(TorchDispatchMode):
    """Routes every operation, factories with `device="cuda"` included, through run_checked."""

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        return run_checked(func, args, kwargs or {})


def indexed(value):
    """An index-less CUDA device as cuda:0 (torch would ask CUDA's runtime for the current one)."""
    is_cuda = isinstance(value, (str, torch.device)) and str(value) == "cuda"
    return DEVICE if is_cuda else value


class HostDataToDevice(TorchFunctionMode):
    """torch.tensor, as_tensor and asarray with `device="cuda"`: made on the CPU, then moved
    (torch copies Python data to a device below the dispatch that DeviceRules sees); and
    `.to("cuda")` given the index torch would ask CUDA's runtime for."""

    FUNCTIONS = {torch.tensor, torch.as_tensor, torch.asarray}
    MOVES = {torch.Tensor.to, torch.Tensor.cuda}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        if func in self.MOVES:
            args, kwargs = tuple(indexed(a) for a in args), {k: indexed(v) for k, v in kwargs.items()}
        device = kwargs.get("device")
        if func in self.FUNCTIONS and device is not None and torch.device(device).type == "cuda":
            kwargs["device"] = CPU
            return func(*args, **kwargs).to(DEVICE)
        return func(*args, **kwargs)


def with_device_rng(func, args, kwargs):
    """A random operation on the device: drawn from the CPU's generator seeded by the device's
    seed and offset (the CPU's own state left as it was), the offset advanced."""
    saved = torch.get_rng_state()
    torch.default_generator.manual_seed(hash((DEVICE_RNG["seed"], DEVICE_RNG["offset"])) & (2**63 - 1))
    try:
        return func(*args, **kwargs)
    finally:
        DEVICE_RNG["offset"] += 1
        torch.set_rng_state(saved)


def _cuda_rng_state(device=None) -> torch.Tensor:
    """The device's state as CUDA gives it: 16 bytes (seed, offset)."""
    return torch.tensor([DEVICE_RNG["seed"], DEVICE_RNG["offset"]], dtype=torch.int64).view(torch.uint8)


def _set_cuda_rng_state(state: torch.Tensor, device=None) -> None:
    if state.dtype != torch.uint8 or state.numel() != CUDA_STATE_BYTES:
        raise RuntimeError(
            f"RNG state is wrong size: a CUDA device's is {CUDA_STATE_BYTES} bytes (Philox seed and offset), "
            f"this one {state.numel()} of {state.dtype} (the CPU's is {torch.get_rng_state().numel()} bytes)"
        )
    seed, offset = state.clone().view(torch.int64).tolist()
    DEVICE_RNG.update(seed=seed, offset=offset)


def _cuda_manual_seed(seed, device=None) -> None:
    DEVICE_RNG.update(seed=int(seed), offset=0)


@contextlib.contextmanager
def emulated_cuda(monkeypatch):
    """Run the block with cuda:0 emulated on the CPU; `monkeypatch` (pytest's) undoes the
    stand-ins for torch.cuda when the test ends."""
    standins = {
        "is_available": lambda: True,
        "device_count": lambda: 1,
        "current_device": lambda: 0,
        "get_device_name": lambda device=None: "emulated CUDA device (CPU)",
        "get_device_capability": lambda device=None: (9, 0),
        "get_device_properties": lambda device=None: SimpleNamespace(uuid="GPU-emulated", name="emulated"),
        "get_arch_list": lambda: ["sm_90"],
        "is_bf16_supported": lambda including_emulation=True: False,
        "get_rng_state": _cuda_rng_state,
        "set_rng_state": _set_cuda_rng_state,
        "synchronize": lambda device=None: None,
        "manual_seed": _cuda_manual_seed,
        "manual_seed_all": _cuda_manual_seed,
    }
    DEVICE_OPS.clear()
    DEVICE_RNG.update(seed=0, offset=0)  # a fresh process's device
    for name, standin in standins.items():
        monkeypatch.setattr(torch.cuda, name, standin)
    # What torch's bindings call before an operation on a CUDA device, and set_device's call.
    monkeypatch.setattr(torch.cuda, "_lazy_init", lambda: None)
    monkeypatch.setattr(torch._C, "_cuda_setDevice", lambda index: None)
    # No accelerator runtime to ask about streams (the optimisers' graph-capture check).
    monkeypatch.setattr(torch.accelerator, "current_accelerator", lambda check_available=False: None)
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", torch.backends.cudnn.benchmark)
    monkeypatch.setattr(torch, "Generator", EmulatedGenerator)
    # Module.to swaps each parameter for its device copy (an EmulatedTensor), where it would
    # otherwise set the CPU parameter's data to the wrapper.
    monkeypatch.setattr(torch.__future__, "get_swap_module_params_on_conversion", lambda: True)
    try:
        with HostDataToDevice(), DeviceRules():
            yield DEVICE
    finally:
        DEVICE_GENERATORS.clear()
