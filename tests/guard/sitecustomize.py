"""Loaded by every Python process the tests start (``PYTHONPATH``, set in conftest.py): a
connection to anything but this machine is refused and written to ``MIMICRY_TEST_NET_LOG``, which
the test that started the process then reads and fails on."""

import os
import socket

_LOG = os.environ.get("MIMICRY_TEST_NET_LOG")


def local(address) -> bool:
    """True for a Unix socket or a loopback address."""
    if isinstance(address, (str, bytes)):  # AF_UNIX
        return True
    host = str(address[0]) if isinstance(address, tuple) and address else ""
    return host in ("localhost", "::1", "") or host.startswith("127.")


def _guard(original):
    def connect(self, address, *args):
        if self.family not in (socket.AF_INET, socket.AF_INET6) or local(address):
            return original(self, address, *args)
        if _LOG:
            with open(_LOG, "a", encoding="utf-8") as f:
                f.write(f"pid {os.getpid()}: connection to {address!r} attempted\n")
        raise OSError(f"network access attempted in a test: {address!r}")

    return connect


if _LOG and __name__ == "sitecustomize":  # conftest.py imports local() from here without this
    socket.socket.connect = _guard(socket.socket.connect)
    socket.socket.connect_ex = _guard(socket.socket.connect_ex)
