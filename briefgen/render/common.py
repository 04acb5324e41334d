"""What both writers need to agree on: section anchors and where pull quotes go."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..i18n import format_date, issue_line, labels  # noqa: F401 - re-exported for writers
from ..model import Block, Contribution, Pack, Paragraph


def created_at(document, options) -> dt.datetime:
    """The documents' timestamp: --source-date-epoch / $SOURCE_DATE_EPOCH when given,
    else midnight UTC of the issue's or pack's date, so builds are reproducible."""
    if options.source_date_epoch is not None:
        return dt.datetime.fromtimestamp(options.source_date_epoch, dt.timezone.utc)
    return dt.datetime.combine(document.date, dt.time(0, 0), dt.timezone.utc)

def section_anchors(issue) -> list[tuple[str, int, str]]:
    """(anchor id, level, label) of every section in reading order.

    The ids are a contract between the layouts' HTML templates (element ids)
    and the DOCX writer (bookmarks, contents), so both number sections alike.
    """
    t = labels(issue.lang)
    anchors = []
    if issue.lede:
        anchors.append(("overview", 1, t["overview"]))
    if issue.contributions:
        anchors.append(("experts", 1, t["experts"]))
        anchors += [(f"contribution-{n}", 2, c.label)
                    for n, c in enumerate(issue.contributions, 1)]
    if issue.contributors:
        anchors.append(("contributors", 1, t["contributors"]))
    if issue.call_to_action:
        cta = issue.call_to_action
        anchors.append(("back", 1, cta.heading or issue.publisher or issue.series or "—"))
    return anchors


def split_for_pull_quote(contribution: Contribution) -> tuple[tuple[Block, ...], tuple[Block, ...]]:
    """(blocks before the pull quote, blocks after it).

    The quote goes after the first paragraph when more text follows, else
    right under the headline, so it is never the last thing in a section.
    """
    body = contribution.body
    if len(body) >= 2 and isinstance(body[0], Paragraph):
        return body[:1], body[1:]
    return (), body


def source_folders(document) -> tuple[Path, ...]:
    """Folders a document's own files (photos, cover images, annexes) come from."""
    if isinstance(document, Pack):
        return tuple(p for p in (document.source_dir,) + tuple(i.source_dir for i in
                                                                 document.issues) if p)
    return (document.source_dir,) if document.source_dir else ()

