"""`briefgen new`: an issue folder with every field shown and explained."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..errors import UsageError

ISSUE_TEMPLATE = """\
---
# ── Front matter: the issue's metadata (YAML). Lines starting with # are comments.
publisher: Your Organisation          # printed in the cover band and the colophon
series: Your Series                   # the newsletter's name; also the running head
issue: 1                              # issue number (optional)
date: {today}                      # YYYY-MM-DD (required)
title: "Series | The issue's title"   # required; quote it when it contains a colon
short_title: The issue's title        # running head on every page (default: title)
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


def scaffold_issue(folder: Path) -> list[Path]:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UsageError("folder exists and is not empty", path=folder,
                         hint="choose a new folder name")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "images").mkdir(exist_ok=True)
    issue = folder / "issue.md"
    issue.write_text(ISSUE_TEMPLATE.format(today=dt.date.today().isoformat()), encoding="utf-8")
    contributors = folder / "contributors.yaml"
    contributors.write_text(CONTRIBUTORS_TEMPLATE, encoding="utf-8")
    return [issue, contributors, folder / "images"]


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
agenda:                                 # optional
  - time: "09:30"
    title: Welcome
  - time: "10:00"
    title: Discussion of the first paper
    speakers: [first-expert]            # contributor ids from the issues
    paper: first-issue                  # an issue's folder name, or an annex id
annexes:                                # optional: PDF files (a DOCX needs LibreOffice)
  # - file: annexes/report.pdf
  #   title: The full report
  #   id: report                        # what `paper:` refers to (default: from the title)
"""


def scaffold_pack(folder: Path) -> list[Path]:
    """A pack folder with pack.yaml and one issue inside it, ready to build."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UsageError("folder exists and is not empty", path=folder,
                         hint="choose a new folder name")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "annexes").mkdir()
    pack = folder / "pack.yaml"
    pack.write_text(PACK_TEMPLATE.format(today=dt.date.today().isoformat()), encoding="utf-8")
    issue_files = scaffold_issue(folder / "issues" / "first-issue")
    return [pack, *issue_files]
