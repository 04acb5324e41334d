"""What the tagged PDF says to a screen reader, a search and a validator (PDF/UA-1).

WeasyPrint 70 tags the PDF (`pdf_tags=True`), but:
- it marks the text of margin boxes (running heads, footers) as content whose
  structure elements hang outside the tree, and the text of `aria-hidden`
  elements (the initials that stand in for a missing photo) as content;
- it makes a link annotation for every box under an `<a>`: a contents entry with a
  `::after` page number and a leader gets three, labelled with the anchor's id;
- letter-spaced text is drawn glyph by glyph with gaps, which extractors read as
  spaces ("I N S T I T U T E");
- its XMP has no `dc:language`, and one variant at a time (PDF/A or PDF/UA).

Three small hooks, all in this module, put that right while the PDF is written,
without reading the written file back:
1. `prepare(document)`, before `write_pdf`: marks the boxes to draw as artifacts
   (margin boxes as pagination artifacts, Header or Footer; `aria-hidden`
   subtrees, the `.cover-band`, contents leaders as layout artifacts) or with an
   `/ActualText` (letter-spaced text), and keeps one link per `<a>` box in each
   page's `links` (WeasyPrint's documented list of the page's links).
2. `Stream.marked` (the one place WeasyPrint opens a text's marked content)
   draws a marked box as `/Artifact` (with a `/Span` carrying its
   `/ActualText` inside when it has one), or adds the `/ActualText` to the
   `/Span`'s property list. Unmarked boxes are drawn exactly as before.
3. `Finisher` (WeasyPrint's documented `finisher=` hook, on the PDF objects
   before they are serialised): takes the artifacts out of the structure tree
   and the parent tree, drops the structure elements left empty or outside the
   tree, turns the nested `Link` elements of pseudo-elements into `Span`s, gives
   each link annotation the Print flag and a `/Contents` naming its target in
   words, and completes the XMP (`dc:language`; `pdfuaid:part` with its PDF/A
   extension schema when a PDF/A-2 or -3 file is also PDF/UA-1).
"""
from __future__ import annotations

from contextlib import contextmanager
from xml.etree import ElementTree as ET

from . import weasy  # noqa: F401 - imports WeasyPrint without spawning compilers

import pydyf
from weasyprint.formatting_structure import boxes
from weasyprint.layout.absolute import AbsolutePlaceholder
from weasyprint.pdf.stream import Stream

#: the attribute prepare() sets on a box: (artifact property list or None, ActualText or None)
MARK = "briefgen_pdf_mark"
#: the MCID a marked artifact got when it was last drawn (for the finisher)
MCID = "briefgen_pdf_mcid"

HEADER = pydyf.Dictionary({"Type": "/Pagination", "Subtype": "/Header"})
FOOTER = pydyf.Dictionary({"Type": "/Pagination", "Subtype": "/Footer"})
PAGINATION = pydyf.Dictionary({"Type": "/Pagination"})
LAYOUT = pydyf.Dictionary({"Type": "/Layout"})

#: classes whose whole content is decoration, drawn as a layout artifact
ARTIFACT_CLASSES = frozenset({"cover-band"})

#: the PDF/UA part a build claims for each WeasyPrint variant (None: no variant,
#: briefgen's default); variants absent from here claim none
UA_PART = {None: 1, "pdf/ua-1": 1, "pdf/ua-2": 2,
           **{f"pdf/a-{v}{c}": 1 for v in (2, 3) for c in "abu"}}


def ua_part(variant: str | None) -> int | None:
    return UA_PART.get(variant)


# ------------------------------------------------------------------ 1. before writing

def prepare(document) -> None:
    """Mark the laid-out boxes of every page of `document` (see the module's doc).
    Pages already prepared (an edition writes the same pages again) are skipped."""
    for page in document.pages:
        if getattr(page, "_briefgen_prepared", False):
            continue
        artifacts: list = []
        for child in page._page_box.children:
            if isinstance(child, boxes.MarginBox):
                keyword = child.at_keyword or ""
                kind = (HEADER if keyword.startswith("@top") else
                        FOOTER if keyword.startswith("@bottom") else PAGINATION)
                _mark(child, kind, None, artifacts)
            else:
                _mark(child, None, None, artifacts)
        page.links = _one_link_per_box(page.links)
        page._briefgen_artifacts = artifacts
        page._briefgen_prepared = True


def _mark(box, artifact, actual, artifacts: list) -> None:
    """Walk `box` and its descendants; `artifact` (a property list) and `actual`
    (an ActualText, "" to hide the text from extraction) come from an ancestor."""
    if isinstance(box, AbsolutePlaceholder):
        box = box._box
    element = box.element
    if artifact is None and element is not None and not isinstance(box, boxes.TextBox):
        if element.get("aria-hidden") == "true":
            # Hidden from assistive technology: decoration, whose letters (the
            # initials standing in for a photo) are not text to extract either.
            artifact, actual = LAYOUT, ""
        elif ARTIFACT_CLASSES & set((element.get("class") or "").split()):
            artifact = LAYOUT
        elif box.is_leader:
            artifact = LAYOUT
    if isinstance(box, boxes.TextBox):
        text = actual
        if text is None and _letter_spaced(box):
            text = box.text.replace("\u00ad", "")
        if artifact is not None or text is not None:
            setattr(box, MARK, (artifact, text))
            if artifact is not None:
                artifacts.append(box)
        return
    if isinstance(box, boxes.ReplacedBox) and artifact is not None:
        setattr(box, MARK, (artifact, None))
        artifacts.append(box)
        return
    for child in getattr(box, "children", ()):
        _mark(child, artifact, actual, artifacts)


def _letter_spaced(box) -> bool:
    spacing = box.style["letter_spacing"]
    return spacing != "normal" and bool(spacing)


def _one_link_per_box(links: list) -> list:
    """WeasyPrint gives every box under an `<a>` a link of its own: the `a`, its
    `::after`, the leader inside that… Keep the links of the `<a>` boxes (one per
    line the link is set on), whose area covers their descendants'."""
    return [link for link in links if link[3].link is not None]


# ------------------------------------------------------------------ 2. while drawing

#: WeasyPrint's own (kept on the class, so that a second import does not wrap ours)
_weasyprint_marked = Stream.__dict__.get("_briefgen_weasyprint_marked", Stream.marked)


@contextmanager
def _marked(self, box, tag):
    mark = getattr(box, MARK, None) if self._tags is not None else None
    if mark is None:
        with _weasyprint_marked(self, box, tag):
            yield
        return
    artifact, actual = mark
    # The box stays in the page's tags, as WeasyPrint's tagging expects every
    # drawn text box there; its structure element is taken out by the Finisher.
    mcid = len(self._tags)
    self._tags[box] = {"tag": "Artifact" if artifact is not None else tag, "mcid": mcid}
    if artifact is not None:
        setattr(box, MCID, mcid)
        pydyf.Stream.begin_marked_content(self, "Artifact", artifact)
        if actual is not None:  # poppler reads /ActualText on /Span only
            pydyf.Stream.begin_marked_content(
                self, "Span", pydyf.Dictionary({"ActualText": pydyf.String(actual)}))
    else:
        pydyf.Stream.begin_marked_content(
            self, tag, pydyf.Dictionary({"MCID": mcid, "ActualText": pydyf.String(actual)}))
    try:
        yield
    finally:
        pydyf.Stream.end_marked_content(self)
        if artifact is not None and actual is not None:
            pydyf.Stream.end_marked_content(self)


Stream._briefgen_weasyprint_marked = _weasyprint_marked
Stream.marked = _marked


# ------------------------------------------------------------------ 3. the finisher

def _number(reference) -> int:
    if isinstance(reference, bytes):
        reference = reference.decode()
    return int(str(reference).split()[0])


class Finisher:
    """WeasyPrint's `finisher`: called with the document and the PDF objects
    once they are complete, before they are written."""

    def __init__(self, variant: str | None):
        self.variant = variant

    def __call__(self, document, pdf) -> None:
        if "StructTreeRoot" in pdf.catalog:
            self.clean_tree(document, pdf)
        self.label_links(document)
        self.complete_xmp(document, pdf)

    # -- structure tree
    def clean_tree(self, document, pdf) -> None:
        objects = pdf.objects
        pages = {_number(ref): index for index, ref in enumerate(pdf.page_references)}
        artifact_mcids = [{getattr(box, MCID) for box in getattr(page, "_briefgen_artifacts", ())
                           if hasattr(box, MCID)} for page in document.pages]
        root = objects[_number(pdf.catalog["StructTreeRoot"])]
        reached: set[int] = set()

        def clean(element) -> bool:
            """Drop artifacts and emptied children from `element`; True if it is
            left empty while it was not before."""
            page = pages.get(_number(element["Pg"])) if "Pg" in element else None
            hidden = artifact_mcids[page] if page is not None else ()
            kids, dropped = [], False
            for kid in element["K"]:
                if isinstance(kid, int):
                    if kid in hidden:
                        dropped = True
                        continue
                    kids.append(kid)
                    continue
                child = objects[_number(kid)]
                if child.get("Type") == "/OBJR":
                    kids.append(kid)
                    continue
                if child.get("S") == "/Artifact":
                    dropped = True
                    continue
                reached.add(child.number)
                if clean(child):
                    dropped = True
                    continue
                kids.append(kid)
            element["K"] = pydyf.Array(kids)
            if element.get("S") == "/Link" and not any(
                    not isinstance(kid, int) and objects[_number(kid)].get("Type") == "/OBJR"
                    for kid in kids):
                # The Link of a pseudo-element (a::after) or of a leader inside the
                # link: its annotation is its ancestor's.
                element["S"] = "/Span"
            return dropped and not kids

        for top in root["K"]:
            document_element = objects[_number(top)]
            reached.add(document_element.number)
            clean(document_element)

        # Elements outside the tree (margin boxes', artifacts'): emptied, and
        # nothing in the parent tree points at them.
        unreached = set()
        for obj in objects:
            if isinstance(obj, dict) and obj.get("Type") == "/StructElem" \
                    and obj.number not in reached:
                unreached.add(obj.number)
                obj.clear()
        # The parent tree: nothing for the artifacts' MCIDs, nor for elements
        # outside the tree. Its first pairs are the pages' (page index, array).
        nums = objects[_number(root["ParentTree"])]["Nums"]
        for page, hidden in enumerate(artifact_mcids):
            mapping = nums[2 * page + 1]
            for mcid, ref in enumerate(mapping):
                if mcid in hidden or (ref != "null" and _number(ref) in unreached):
                    mapping[mcid] = "null"

    # -- links
    def label_links(self, document) -> None:
        ids = None
        for page in document.pages:
            for kind, target, _, box in page.links:
                annotation = box.link_annotation
                if annotation is None or kind not in ("internal", "external"):
                    continue
                annotation["F"] = 4  # print it
                own = _words(box.element) if box.element is not None else ""
                if kind == "internal":
                    if ids is None:
                        ids = _ids(document)
                    words = _heading(ids.get(target)) or own or target
                else:
                    words = own if own and target in own else \
                        f"{own} ({target})" if own else target
                annotation["Contents"] = pydyf.String(words)

    # -- XMP
    def complete_xmp(self, document, pdf) -> None:
        part = ua_part(self.variant)
        lang = document.metadata.lang
        if "Metadata" not in pdf.catalog:
            return
        stream = pdf.objects[_number(pdf.catalog["Metadata"])]
        content = b"".join(s if isinstance(s, bytes) else str(s).encode() for s in stream.stream)
        start, end = content.find(b"<rdf:RDF"), content.rfind(b"</rdf:RDF>")
        if start < 0 or end < 0:
            return
        end += len(b"</rdf:RDF>")
        rdf = ET.fromstring(content[start:end])
        description = ET.SubElement(rdf, f"{{{RDF}}}Description", {f"{{{RDF}}}about": ""})
        if lang:
            bag = ET.SubElement(ET.SubElement(description, f"{{{DC}}}language"), f"{{{RDF}}}Bag")
            ET.SubElement(bag, f"{{{RDF}}}li").text = lang
        claimed = any(f"{{{PDFUAID}}}part" in d.attrib for d in rdf)
        if part and not claimed:
            description.set(f"{{{PDFUAID}}}part", str(part))
            if self.variant and self.variant.startswith("pdf/a"):
                rdf.append(ET.fromstring(PDFUA_EXTENSION_SCHEMA))
        stream.stream = [content[:start] + ET.tostring(rdf, encoding="utf-8",
                                                       xml_declaration=False) + content[end:]]


RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DC = "http://purl.org/dc/elements/1.1/"
PDFUAID = "http://www.aiim.org/pdfua/ns/id/"
for _prefix, _uri in (("pdfaExtension", "http://www.aiim.org/pdfa/ns/extension/"),
                      ("pdfaSchema", "http://www.aiim.org/pdfa/ns/schema#"),
                      ("pdfaProperty", "http://www.aiim.org/pdfa/ns/property#")):
    ET.register_namespace(_prefix, _uri)

#: PDF/A (ISO 19005-2, 6.6.2.3) accepts only predefined XMP properties or those its
#: extension schemas declare: pdfuaid:part is declared here
PDFUA_EXTENSION_SCHEMA = f"""\
<rdf:Description xmlns:rdf="{RDF}" rdf:about=""
    xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
    xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"
    xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
  <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
    <pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>
    <pdfaSchema:namespaceURI>{PDFUAID}</pdfaSchema:namespaceURI>
    <pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>
    <pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
      <pdfaProperty:name>part</pdfaProperty:name>
      <pdfaProperty:valueType>Integer</pdfaProperty:valueType>
      <pdfaProperty:category>internal</pdfaProperty:category>
      <pdfaProperty:description>Part of ISO 14289 followed</pdfaProperty:description>
    </rdf:li></rdf:Seq></pdfaSchema:property>
  </rdf:li></rdf:Bag></pdfaExtension:schemas>
</rdf:Description>"""


def _words(element) -> str:
    return " ".join("".join(element.itertext()).split())


_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _heading(element) -> str:
    """The words of `element` if it is a heading, else of its first heading."""
    if element is None:
        return ""
    if element.tag in _HEADINGS:
        return _words(element)
    for inner in element.iter():
        if inner.tag in _HEADINGS:
            return _words(inner)
    return ""


def _ids(document) -> dict:
    """Element id → element, in the document's HTML (its parts' HTML, first
    occurrence first, when a pack was laid out chapter by chapter: chapters.py)."""
    found: dict = {}
    roots: set = set()
    for page in document.pages:
        for child in page._page_box.children:
            if child.element is not None and child.element_tag == "html" \
                    and id(child.element) not in roots:
                roots.add(id(child.element))
                for element in child.element.iter():
                    if element.get("id"):
                        found.setdefault(element.get("id"), element)
    return found
