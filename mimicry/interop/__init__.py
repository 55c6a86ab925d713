"""Files other tools read: an OpenFace-2 CSV (:mod:`.openface`) and a BIDS-style folder
(:mod:`.bids`) from a session or a track."""

from .bids import export_bids
from .openface import AU_MAP, export_openface, frames_from_openface, openface_columns, openface_frame

__all__ = ["AU_MAP", "export_bids", "export_openface", "frames_from_openface", "openface_columns", "openface_frame"]
