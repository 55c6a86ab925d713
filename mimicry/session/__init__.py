"""Sessions: recording them and their folders.

:mod:`.folder` reads, writes, analyses and repairs session folders; :mod:`.engine` is what every
live recording shares (folder, writers, event log, tracker thread, watchdog, finalisation);
:mod:`.run` plays a protocol (``mimicry run``) and :mod:`.demo` the classroom demo on it;
:mod:`.display` draws the windows; :mod:`.simulate` makes sessions with known truth.
"""

from .folder import SessionData, analyze_session, read_session, repair_session, write_session

__all__ = ["SessionData", "analyze_session", "read_session", "repair_session", "write_session"]
