"""Domain exceptions. The CLI turns each into one ``Error: ...`` line and exit code 1."""


class MimicryError(Exception):
    """Base class of every error a user can cause (bad file, bad option, bad model)."""


class ModelError(MimicryError):
    """The model file is missing, unreadable or not the expected one."""


class CaptureError(MimicryError):
    """A video file or camera cannot be opened or read."""


class OutputError(MimicryError):
    """An output path cannot be written."""


class SessionError(MimicryError):
    """A session folder or one of its files is missing or malformed."""


class StimulusError(MimicryError):
    """A stimulus library, manifest entry or clip is missing, malformed or not what it claims."""
