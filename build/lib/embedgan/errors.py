"""Errors raised on purpose: each message names the problem (config key, file, value) and what
to do. A job that stops on one shows that message alone, without a traceback
(runtime.log_to); any other exception keeps its traceback."""


class ExpectedError(Exception):
    """Base of the errors the workflow raises on purpose."""


class ConfigError(ExpectedError, ValueError):
    """A config key or value the workflow cannot run with."""


class DataSourceError(ExpectedError, RuntimeError):
    """A data source cannot deliver a valid data set."""


class EncoderError(ExpectedError, RuntimeError):
    """The configured text encoder cannot be found or loaded."""


class DeviceError(ExpectedError, RuntimeError):
    """The configured device is not there."""


class UnreadableFile(ExpectedError, RuntimeError):
    """A file the workflow reads back is damaged, of another run, or holds more than tensors
    and plain data (loading it could run code)."""


class WriteError(ExpectedError, OSError):
    """An output could not be written (a full disk, a read-only folder); nothing was written."""
