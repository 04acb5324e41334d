"""Small facts both writers need: the documents' timestamp, their source folders,
whether their pages are mirrored.
(What goes on the pages, with its ids, is the outline: briefgen.outline.)"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..i18n import format_date, issue_line, labels  # noqa: F401 - re-exported for writers
from ..model import Pack


def created_at(document, options) -> dt.datetime:
    """The documents' timestamp: --source-date-epoch / $SOURCE_DATE_EPOCH when given,
    else midnight UTC of the issue's or pack's date, so builds are reproducible."""
    if options.source_date_epoch is not None:
        return dt.datetime.fromtimestamp(options.source_date_epoch, dt.timezone.utc)
    return dt.datetime.combine(document.date, dt.time(0, 0), dt.timezone.utc)

def source_folders(document) -> tuple[Path, ...]:
    """Folders a document's own files (photos, cover images, annexes) come from."""
    if isinstance(document, Pack):
        return tuple(p for p in (document.source_dir,) + tuple(i.source_dir for i in
                                                                 document.issues) if p)
    return (document.source_dir,) if document.source_dir else ()


#: layouts made as booklets: left and right pages mirrored even without --impose
BOOKLET_LAYOUTS = frozenset({"conference"})


def mirrored_pages(layout, options) -> bool:
    """Left and right pages mirrored (inner and outer margins, folios outside):
    a booklet layout (or one extending it), or any layout built with --impose booklet.
    A review print (--comments) keeps its comment margin on the right."""
    names = {layout.name} | {name for name, _ in layout.ancestors}
    return not options.comments and (options.impose == "booklet"
                                     or bool(names & BOOKLET_LAYOUTS))
