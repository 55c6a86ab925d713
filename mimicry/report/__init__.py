"""Reports: one session's page (:mod:`.page`), the summary of many (:mod:`.summary`), and the
figures both draw (:mod:`.figures`)."""

from .page import plain_summary, write_report
from .summary import write_summary

__all__ = ["plain_summary", "write_report", "write_summary"]
