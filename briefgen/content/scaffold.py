"""`briefgen new`: an issue folder with every field shown and explained.

The folder is written whole or not at all: its files go into a hidden folder
beside it, which is renamed into place once complete.
"""
from __future__ import annotations

import datetime as dt
import errno
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from ..errors import UsageError, folder_problem

ISSUE_TEMPLATE = """\
---
# ── Front matter: the issue's metadata (YAML). Lines starting with # are comments.
publisher: Your Organisation          # printed in the cover band and the colophon
series: Your Series                   # the newsletter's name; also the running head
issue: 1                              # issue number (optional)
date: {today}                      # YYYY-MM-DD (required)
title: "The Issue's Title: What It Is About"  # required; quote it when it contains a colon
# short_title: The Issue's Title      # a shorter running head (default: the title)
standfirst: >-
  One or two sentences under the title on the cover: what this issue is about
  and why it matters now.
lang: en                              # language: hyphenation, labels, direction (ar → RTL)
# slug: my-issue                      # output file name (default: the folder's name)
experts_intro: >-
  Experts from our network react to this week's developments.
keywords: [topic, region]             # PDF/DOCX metadata (optional)
call_to_action:                       # the back matter (optional)
  heading: Keep in touch
  text: Subscribe to our newsletter.
  url: https://example.org/subscribe
# Contributors live in contributors.yaml; they may also be listed here under
# `contributors:` with the same fields.
---

The lede: everything before the first `## ` heading. Write several paragraphs
of Markdown: *emphasis*, **bold** and [links](https://example.org) all work.

A second paragraph of the lede.

## The first expert's headline

by: first-expert

“The expert's contribution, in Markdown. Mark the sentence to set large as the
pull quote by wrapping it in double equals signs: ==this sentence becomes the
pull quote.== Without a mark, briefgen picks one sentence by a fixed rule.”

## The second expert's headline

by: second-expert
pull-quote: Or give the pull quote's text here (or `none` for no pull quote).
lang: en

Each `## ` heading starts a contribution. The line(s) right under it say who
wrote it (`by:`, several ids separated by commas), and optionally its
language (`lang:`) and pull quote (`pull-quote:`).
"""

CONTRIBUTORS_TEMPLATE = """\
# Contributors: the key (e.g. first-expert) is the id used after `by:` in issue.md.
# Ids are lower-case words joined by hyphens.
first-expert:
  name: First Expert                  # required
  role: Senior Fellow                 # printed in the attribution line
  organisation: Example Institute
  bio: >-
    A short biography, two or three sentences, in Markdown.
  # photo: images/first-expert.jpg    # optional: a JPEG, PNG, GIF or WebP in images/
  # photo_alt: Portrait of First Expert  # alt text (default: the name)

second-expert:
  name: Second Expert
  role: Analyst
  organisation: Another Centre
  bio: >-
    Without a photo, the layout shows the contributor's initials.
"""


#: endings of files a user may give `new` by mistake (a folder is what it makes)
FILE_ENDINGS = (".md", ".yaml", ".yml", ".csv", ".txt", ".html", ".htm", ".docx", ".dotx",
                ".pdf", ".toml", ".json")


def check_new_folder(folder: Path) -> None:
    """Refuse what `new` must not write into: a file, a folder with files in it,
    a name that is a file's (`recipients.csv`), a place under a file."""
    folder = Path(folder)
    if folder.is_file() or (folder.exists() and not folder.is_dir()):
        raise UsageError("this is a file, not a folder: `new` creates a folder", path=folder,
                         hint=f"give a new folder's name, e.g. `briefgen new {_example(folder)}`")
    if folder.is_dir() and any(folder.iterdir()):
        raise UsageError("folder exists and is not empty", path=folder,
                         hint="choose a new folder name")
    if folder.suffix.lower() in FILE_ENDINGS:
        raise UsageError(f"`new` creates a folder, and {folder.name} is a file's name",
                         path=folder, hint=f"give a folder's name, e.g. "
                                           f"`briefgen new {_example(folder)}`")
    for parent in folder.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"{parent} is a file, not a folder", path=folder,
                                 hint="choose a folder for the new issue elsewhere")
            break


def _example(folder: Path) -> str:
    return str(folder.with_name(folder.stem if folder.stem != folder.name else "my-issue"))


@contextmanager
def _staged(folder: Path):
    """A hidden folder beside `folder` to write in; renamed to `folder` when the
    block ends without an error, removed otherwise (and so are parents it made)."""
    folder = Path(folder)
    made = [p for p in reversed(folder.parents) if not p.exists()]
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".new",
                                      dir=folder.parent))
    except OSError as exc:
        _remove_empty(made)
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):  # /proc/x
            raise folder_problem(folder, exc, what="folder", option="") from None
        raise
    try:
        yield stage
        os.chmod(stage, 0o777 & ~_umask())
        if folder.is_dir():
            folder.rmdir()  # empty (checked): replaced by the complete folder
        os.rename(stage, folder)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        _remove_empty(made)
        raise


def _remove_empty(made: list[Path]) -> None:
    """Remove the folders this run made (outermost last), if still empty."""
    for parent in reversed(made):
        try:
            parent.rmdir()
        except OSError:
            break


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def scaffold_issue(folder: Path) -> list[Path]:
    check_new_folder(folder)
    with _staged(folder) as stage:
        _write_issue(stage)
    return [folder / "issue.md", folder / "contributors.yaml", folder / "images"]


def _write_issue(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "images").mkdir(exist_ok=True)
    (folder / "issue.md").write_text(ISSUE_TEMPLATE.format(today=dt.date.today().isoformat()),
                                     encoding="utf-8")
    (folder / "contributors.yaml").write_text(CONTRIBUTORS_TEMPLATE, encoding="utf-8")


PACK_TEMPLATE = """\
# A briefing pack: issues, an agenda and annexes bound into one PDF and one DOCX.
# Paths are relative to this folder. Lines starting with # are comments.
title: Papers for the meeting           # required
subtitle: What the pack is for          # under the title on the cover
date: {today}                     # YYYY-MM-DD (required)
organiser: Your Organisation
lang: en                                # language of the pack's own words
layout: policy-brief                    # or memo, conference, or a layout folder
event:
  name: Board meeting
  place: Rome
  dates: 27–28 November 2026
issues:                                 # issue folders, in the order of the chapters
  - issues/first-issue
agenda:                                 # optional, in order
  - time: "09:30"
    title: Welcome
    # day: {today}                   # a meeting of several days: a date or a short
                                        # label ("Day 1") on each day's first item
  - time: "10:00"
    title: Discussion of the first paper
    # session: Morning session          # a heading over the items of one session
    speakers: [first-expert]            # contributor ids from the issues
    paper: first-issue                  # an issue's folder name, or an annex id
annexes:                                # optional: PDF files (a DOCX needs LibreOffice)
  # - file: annexes/report.pdf
  #   title: The full report
  #   id: report                        # what `paper:` refers to (default: from the title)
  #   confidential: [board]             # per-recipient editions: only these groups see it
# edition:                              # per-recipient editions (build --recipients CSV)
#   footer: "Prepared for {{name}}, {{organisation}}"
#   closed_label: Closed session        # an agenda item whose paper is not in an edition;
#                                       # "" leaves the item out of that edition's agenda
"""


def scaffold_pack(folder: Path) -> list[Path]:
    """A pack folder with pack.yaml and one issue inside it, ready to build."""
    check_new_folder(folder)
    with _staged(folder) as stage:
        (stage / "annexes").mkdir()
        (stage / "pack.yaml").write_text(PACK_TEMPLATE.format(today=dt.date.today().isoformat()),
                                         encoding="utf-8")
        _write_issue(stage / "issues" / "first-issue")
    issue = folder / "issues" / "first-issue"
    return [folder / "pack.yaml", issue / "issue.md", issue / "contributors.yaml",
            issue / "images"]
