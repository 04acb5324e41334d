"""Pages written again without drawing them again: WeasyPrint's `Page.paint`
remembered per page box, the deflated bytes of the PDF's streams per content.

A rebuild after a one-word edit writes a document most of whose pages are the
very page boxes written before in this process (a pack's kept chapters, see
chapters.py; the pages an incremental layout keeps). WeasyPrint draws each of
them again into a new content stream, glyph by glyph (half of `write_pdf`), and
deflates every stream twice (once for the file, once for the identifier's
hash). Both give the same result for the same input; this module makes sure the
input is the same, and otherwise lets WeasyPrint do the work. For the sample
issue grown to 100 contributions (65 pages), `write_pdf` of pages all written
before takes 0.15 s instead of 1.1 s (bench/paint_memo.py).

1. The drawing of a page (`Page.paint`, WeasyPrint 70's only call to draw a
   page). The first time a page box is written it is drawn into a scratch
   stream, a `_Recorder`, that starts as the page's real stream does (the same
   operators, the same graphics state, the same number of marked contents) but
   keeps to itself what the drawing leaves in the document's shared state:
   - the operators: kept as the bytes pydyf would join them into;
   - the fonts: each font used is WeasyPrint's own `Font` in `document.fonts`
     (created there as the drawing would), seen through a `_LocalFont` whose
     glyph maps (`to_unicode`, `widths`) start empty, so the recording holds
     every glyph the page uses, its text and its width as this page computes
     them; the Pango font is kept (a GObject reference) to create the `Font`
     again in a document that does not have it yet;
   - the images (`add_image`'s arguments), the alpha states (`a0.5`…), the
     marked contents (`tags[box]`, and the MCID pdf_tags.py sets on an artifact
     box), the stream's graphics state at the end.
   The recording is then replayed into the real stream, as it is on every later
   write of the same page box while the state the drawing read is the same:
   the operators before it, the graphics state, the scale, the number of marked
   contents, the colour profiles, the page box's own children, and the widths
   the document's fonts already hold for the page's glyphs (WeasyPrint keeps a
   glyph's width from the first time it is drawn, at any size, and uses it for
   the spacing of every later use: a width computed differently elsewhere would
   change this page's operators). A replay does what the drawing did, in the
   same order: a font missing from the document is created by WeasyPrint's
   `Stream.add_font` from the same Pango font, glyph maps and alpha states are
   filled where empty, images are added by `Stream.add_image`.

   What is not replayed is drawn by WeasyPrint as before, on every write:
   - drawings whose names depend on the document's other pages (groups for
     opacity and background images, patterns, shadings, blend states: they are
     named by a counter over the whole document), SVG images, emoji fonts, glyphs
     missing from their font (numbered per document), text with an ellipsis
     (drawing it changes the text box), and drawings during which WeasyPrint
     logged something (the log would be lost) or that raised: the recording
     stops there, the page is remembered as one to draw, and is drawn into the
     real stream;
   - pages with form fields or printer's marks (drawing the marks changes the
     page box), and streams of a class other than WeasyPrint's: drawn, nothing
     recorded.
   A recording that does not fit the state at hand is made again from it (a
   page drawn twice, once into the scratch stream); if even that one does not
   fit (a glyph width kept otherwise), the page is drawn. A first write costs
   what WeasyPrint's does (the drawing goes to the scratch stream instead).

   The memo holds page boxes weakly (a `WeakKeyDictionary`): a recording lives as
   long as its page box, and holds nothing that refers back to it (text boxes
   and images below it, Pango fonts). Its risk is a page box changed after it
   was written: the recording would replay the old drawing. WeasyPrint's layout
   never changes a page box it returned, and chapters.py copies a page box to
   give it other margin boxes; a page box whose children are not the ones it
   had when recorded is recorded again, but a change deeper down (a box's text,
   style or position changed in place) is not seen: code that keeps page boxes
   across builds must hand over new boxes for anything that changed.

2. The deflated bytes of a stream (pydyf's `Stream.data`), remembered by the
   bytes deflated, the least recently used dropped beyond `DEFLATED_BYTES`.
   zlib at level 9 gives the same output for the same input; pydyf 0.13's
   `Stream.data` is followed exactly, and only patched when its source is the
   one followed.

(pydyf's `PDF.page_references`, which WeasyPrint's tagging reads once per
structure element, is kept per page count by weasy.remember_page_references, on
whether the memo is or not.)

`install()` wraps both (once; WeasyPrint 70 only, like chapters.py);
BRIEFGEN_PAINT_MEMO=off leaves WeasyPrint as it is.
"""
from __future__ import annotations

import inspect
import logging
import os
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field

from . import chapters, weasy  # noqa: F401 - imports WeasyPrint without spawning compilers

#: whether pages are remembered at all (BRIEFGEN_PAINT_MEMO=off: WeasyPrint as it is)
ENABLED = (os.environ.get("BRIEFGEN_PAINT_MEMO", "on") != "off"
           and chapters.supported(weasy.load().__version__))
#: the deflated streams kept, in bytes (their input and output), and the largest
#: stream kept (a photo's pixels would crowd out the pages). A 65-page issue's
#: streams are about 3 MB; editions write streams of their own for each recipient
#: (a cover, the fonts subset to it), which would fill a larger store for nothing
#: (1,000 editions: 25 MB more peak memory with 32 MB here)
DEFLATED_BYTES = 8 * 1024 * 1024
DEFLATED_LARGEST = 2 * 1024 * 1024

#: what the memo did, for tests and benchmarks: pages replayed (from an earlier
#: write, or just recorded), pages drawn by WeasyPrint, streams deflated or not
stats = {"replayed": 0, "recorded": 0, "drawn": 0, "deflated": 0, "deflate_hits": 0}

_installed = False
#: page box → _Recording, or the reason it is drawn each time (a str)
_memo: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def reset_stats() -> None:
    for key in stats:
        stats[key] = 0


def forget() -> None:
    """Drop every recording and deflated stream (tests; memory measurements)."""
    _memo.clear()
    forget_deflated()


def forget_deflated() -> None:
    """Drop the deflated streams kept (what was written will not be again)."""
    _deflated.clear()
    _deflated_size[0] = 0


class _Unreplayable(Exception):
    """Raised in a recording at the first drawing it cannot replay (see the module's doc)."""


# ---------------------------------------------------------------- Pango fonts kept

class _GObject:
    """A reference to a GObject (a Pango font), released with this object."""

    _lib = None

    def __init__(self, pointer):
        from weasyprint.text.ffi import ffi

        cls = type(self)
        if cls._lib is None:
            import cffi
            from weasyprint.text.ffi import _dlopen

            own = cffi.FFI()
            own.cdef("void *g_object_ref(void *object); void g_object_unref(void *object);")
            cls._ffi = own
            # The file names first: cffi opens them without asking ctypes'
            # find_library, which spawns ldconfig and a compiler (see weasy.py).
            cls._lib = _dlopen(own, "libgobject-2.0.so.0", "libgobject-2.0.dylib",
                               "libgobject-2.0-0.dll", "gobject-2.0-0", "gobject-2.0",
                               "libgobject-2.0-0")
        own, lib = cls._ffi, cls._lib
        address = int(ffi.cast("uintptr_t", pointer))
        self._ref = own.gc(lib.g_object_ref(own.cast("void *", address)), lib.g_object_unref)
        #: the same font as WeasyPrint's cffi pointer (valid while this object lives)
        self.pointer = ffi.cast("PangoFont *", address)


# ---------------------------------------------------------------- recording

class _LocalFont:
    """A document's `Font` as one page's drawing sees it: its own glyph maps,
    empty at first, everything else the document's font."""

    #: what draw_first_line reads for every glyph, copied (not looked up each time)
    COPIED = ("hash", "bitmap", "png", "svg", "colr", "hb_face", "hb_font", "upem")

    def __init__(self, font):
        self._font = font
        for name in self.COPIED:
            setattr(self, name, getattr(font, name))
        self.to_unicode: dict = {}
        self.widths: dict = {}

    def __getattr__(self, name):
        return getattr(self._font, name)

    def get_unused_glyph_id(self, codepoint):
        # Numbered after the glyphs missing from the whole document so far.
        raise _Unreplayable("a glyph missing from its font")


def _make_recorder():
    from weasyprint.pdf.stream import Stream
    from weasyprint.text.fonts import get_pango_font_key

    class _Recorder(Stream):
        """A page's scratch stream: see the module's doc."""

        def add_font(self, pango_font):
            key = get_pango_font_key(pango_font)[0]
            local = self._local_fonts.get(key)
            if local is None:
                # WeasyPrint's own: creates the document's Font as the drawing would.
                font, font_size = Stream.add_font(self, pango_font)
                if font.png or font.svg or font.colr:
                    raise _Unreplayable("an emoji font")
                local = self._local_fonts[key] = _LocalFont(font)
                self._font_order.append((key, _GObject(pango_font), local))
                return local, font_size
            return local, Stream.add_font(self, pango_font)[1]

        def add_image(self, image, interpolate, ratio):
            self._images_added.append((image, interpolate, ratio))
            return super().add_image(image, interpolate, ratio)

        def set_state(self, state):
            raise _Unreplayable("a graphics state named by the document's count")

        def add_group(self, *args, **kwargs):
            raise _Unreplayable("a group named by the document's count")

        def add_pattern(self, *args, **kwargs):
            raise _Unreplayable("a pattern named by the document's count")

        def add_shading(self, *args, **kwargs):
            raise _Unreplayable("a shading named by the document's count")

    return _Recorder


#: the Stream attributes a page's drawing reads and leaves (besides its operators)
_STATE = ("_current_color", "_current_color_stroke", "_current_alpha",
          "_current_alpha_stroke", "_current_font", "_current_font_size",
          "_old_font", "_old_font_size")


def _state(stream) -> tuple:
    return (tuple(getattr(stream, name) for name in _STATE),
            [[list(row) for row in matrix] for matrix in stream._ctm_stack])


def _set_state(stream, state: tuple) -> None:
    from weasyprint.matrix import Matrix

    values, ctm = state
    for name, value in zip(_STATE, values):
        setattr(stream, name, value)
    stream._ctm_stack = [Matrix(matrix=[list(row) for row in rows]) for rows in ctm]


@dataclass
class _Recording:
    """One page box's drawing: what it read (checked by `fits`) and what it left
    (done again by `replay`)."""
    scale: float
    page_rectangle: tuple
    prefix: list
    state_before: tuple
    tags_before: int | None
    profiles: tuple
    output_intent: object
    children: tuple
    #: the operators drawn, as pydyf joins them (None: none)
    operators: bytes | None = None
    #: (font key, kept Pango font, [(glyph, text)], {glyph: width}) in order of first use
    fonts: list = field(default_factory=list)
    images: list = field(default_factory=list)
    alpha_states: list = field(default_factory=list)
    #: (box, tag, mcid, whether pdf_tags set the box's MCID)
    tags: list = field(default_factory=list)
    state_after: tuple = ()

    def fits(self, page, stream, scale) -> bool:
        """Whether drawing `page` into `stream` now would give this recording."""
        tags = stream._tags
        if (scale != self.scale or stream.stream != self.prefix
                or stream.page_rectangle != self.page_rectangle
                or (None if tags is None else len(tags)) != self.tags_before
                or tuple(stream._color_profiles) != self.profiles
                or stream._output_intent != self.output_intent
                or _state(stream) != self.state_before
                or len(page._page_box.children) != len(self.children)
                or any(ref() is not child
                       for ref, child in zip(self.children, page._page_box.children))):
            return False
        fonts = stream._fonts
        missing = object()
        for key, _, _, widths in self.fonts:
            font = fonts.get(key)
            if font is None:
                continue
            known = font.widths
            for glyph, width in widths.items():
                value = known.get(glyph, missing)
                if value is not missing and value != width:
                    return False
        return True

    def replay(self, stream) -> None:
        if self.operators is not None:
            stream.stream.append(self.operators)
        fonts = stream._fonts
        for key, pango_font, to_unicode, widths in self.fonts:
            font = fonts.get(key)
            if font is None:
                font = stream.add_font(pango_font.pointer)[0]
            known = font.to_unicode
            for glyph, text in to_unicode:
                if glyph not in known:
                    known[glyph] = text
            known = font.widths
            for glyph, width in widths.items():
                if glyph not in known:
                    known[glyph] = width
        for image, interpolate, ratio in self.images:
            stream.add_image(image, interpolate, ratio)
        if self.alpha_states:
            import pydyf

            states = stream._resources["ExtGState"]
            for key, value in self.alpha_states:
                if key not in states:
                    states[key] = pydyf.Dictionary(value)
        if self.tags:
            from .pdf_tags import MCID

            tags = stream._tags
            for box, tag, mcid, own in self.tags:
                tags[box] = {"tag": tag, "mcid": mcid}
                if own:
                    setattr(box, MCID, mcid)
        _set_state(stream, self.state_after)


class _Logged(logging.Filter):
    """Keeps back what WeasyPrint logs while a page is recorded (it is drawn
    again, logging it then, when anything was)."""

    def __init__(self):
        super().__init__()
        self.records = 0
        self.thread = threading.get_ident()

    def filter(self, record):
        if record.thread != self.thread:  # another thread's WeasyPrint
            return True
        self.records += 1
        return False


def _record(page, stream, scale, paint):
    """The page's drawing as a _Recording, or the reason it cannot be replayed."""
    import pydyf
    from weasyprint.logger import LOGGER

    from .pdf_tags import MCID

    recorder = _Recorder(
        stream._fonts, stream.page_rectangle,
        pydyf.Dictionary({"ExtGState": pydyf.Dictionary(), "XObject": pydyf.Dictionary(),
                          "Pattern": pydyf.Dictionary(), "Shading": pydyf.Dictionary(),
                          "ColorSpace": stream._resources["ColorSpace"]}),
        {}, None if stream._tags is None else dict(stream._tags),
        stream._color_profiles, stream._output_intent, compress=stream.compress)
    recorder._local_fonts, recorder._font_order, recorder._images_added = {}, [], []
    prefix = list(stream.stream)
    recorder.stream = list(prefix)
    before = _state(stream)
    _set_state(recorder, before)
    tags_before = None if stream._tags is None else len(stream._tags)
    logged, level = _Logged(), LOGGER.level
    # Warnings count whatever the level they are logged at this time: a page
    # replayed while WeasyPrint's warnings are shown would not show its own.
    LOGGER.addFilter(logged)
    LOGGER.setLevel(min(LOGGER.getEffectiveLevel(), logging.WARNING))
    try:
        paint(page, recorder, scale)
    except _Unreplayable as reason:
        return str(reason)
    except Exception as error:  # drawn by WeasyPrint, which raises it again if it must
        return f"its recording raised {error!r}"
    finally:
        LOGGER.setLevel(level)
        LOGGER.removeFilter(logged)
    if logged.records:
        return "WeasyPrint logged while drawing it"
    if recorder.stream[:len(prefix)] != prefix:
        return "its drawing changed the operators before it"
    drawn = recorder.stream[len(prefix):]
    recording = _Recording(
        scale=scale, page_rectangle=stream.page_rectangle, prefix=prefix,
        state_before=before, tags_before=tags_before,
        profiles=tuple(stream._color_profiles), output_intent=stream._output_intent,
        children=tuple(weakref.ref(child) for child in page._page_box.children),
        operators=b"\n".join(pydyf._to_bytes(item) for item in drawn) if drawn else None,
        fonts=[(key, pango_font, list(local.to_unicode.items()), dict(local.widths))
               for key, pango_font, local in recorder._font_order],
        images=recorder._images_added,
        alpha_states=[(key, dict(value))
                      for key, value in recorder._resources["ExtGState"].items()],
        state_after=_state(recorder))
    if recorder._tags:
        recording.tags = [(box, entry["tag"], entry["mcid"],
                           entry["tag"] == "Artifact" and getattr(box, MCID, None) == entry["mcid"])
                          for box, entry in list(recorder._tags.items())[tags_before:]]
    return recording


_Recorder = None


# ---------------------------------------------------------------- the Page.paint seam

def _drawable(page, stream, stream_class) -> bool:
    """Whether the page could be recorded at all (see the module's doc)."""
    return (type(stream) is stream_class
            and not any(page.forms.values())
            and not page._page_box.style["marks"])


def _wrap_paint() -> None:
    from weasyprint.document import Page
    from weasyprint.pdf.stream import Stream

    paint = Page.paint

    def memo_paint(self, stream, scale=1):
        if not ENABLED or not _drawable(self, stream, Stream):
            stats["drawn"] += 1
            return paint(self, stream, scale)
        box = self._page_box
        recording = _memo.get(box)
        if isinstance(recording, _Recording) and recording.fits(self, stream, scale):
            recording.replay(stream)
            stats["replayed"] += 1
            return None
        if not isinstance(recording, str):
            recording = _memo[box] = _record(self, stream, scale, paint)
            if isinstance(recording, _Recording) and recording.fits(self, stream, scale):
                recording.replay(stream)
                stats["recorded"] += 1
                return None
        stats["drawn"] += 1
        return paint(self, stream, scale)

    memo_paint.__wrapped__ = paint
    Page.paint = memo_paint


def _wrap_svg_and_ellipsis() -> None:
    """An SVG image is drawn by its own code (logging, not raising, what fails in
    it); a text with an ellipsis changes its box when drawn: neither is recorded."""
    from weasyprint.draw import text as draw_text
    from weasyprint.images import SVGImage

    draw = SVGImage.draw

    def svg_draw(self, stream, *args, **kwargs):
        if isinstance(stream, _Recorder):
            raise _Unreplayable("an SVG image")
        return draw(self, stream, *args, **kwargs)

    SVGImage.draw = svg_draw
    first_line = draw_text.draw_first_line

    def draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
        if isinstance(stream, _Recorder) and (text_overflow == "ellipsis"
                                              or block_ellipsis != "none"):
            raise _Unreplayable("a text with an ellipsis")
        return first_line(stream, textbox, text_overflow, block_ellipsis, matrix)

    draw_text.draw_first_line = draw_first_line


# ---------------------------------------------------------------- deflated streams

_deflated: OrderedDict = OrderedDict()
_deflated_size = [0]


def _deflate(data: bytes) -> bytes:
    import zlib

    found = _deflated.get(data) if ENABLED else None
    if found is not None:
        _deflated.move_to_end(data)
        stats["deflate_hits"] += 1
        return found
    compressor = zlib.compressobj(level=9)
    found = compressor.compress(data) + compressor.flush()
    stats["deflated"] += 1
    if ENABLED and len(data) <= DEFLATED_LARGEST:
        _deflated[data] = found
        _deflated_size[0] += len(data) + len(found)
        while _deflated_size[0] > DEFLATED_BYTES and _deflated:
            old, out = _deflated.popitem(last=False)
            _deflated_size[0] -= len(old) + len(out)
    return found


#: pydyf 0.13's Stream.data, the source _wrap_stream_data follows
_FOLLOWED = '''    @property
    def data(self):
        stream = b'\\n'.join(_to_bytes(item) for item in self.stream)
        extra = Dictionary(self.extra.copy())
        if self.compress:
            extra['Filter'] = '/FlateDecode'
            compressobj = zlib.compressobj(level=9)
            stream = compressobj.compress(stream)
            stream += compressobj.flush()
        extra['Length'] = len(stream)
        return b'\\n'.join((extra.data, b'stream', stream, b'endstream'))
'''


def _wrap_stream_data() -> bool:
    import pydyf

    try:
        source = inspect.getsource(pydyf.Stream.data.fget)
    except (OSError, TypeError):
        return False
    if source != _FOLLOWED:
        return False
    to_bytes, Dictionary = pydyf._to_bytes, pydyf.Dictionary

    def data(self):
        stream = b"\n".join(to_bytes(item) for item in self.stream)
        extra = Dictionary(self.extra.copy())
        if self.compress:
            extra["Filter"] = "/FlateDecode"
            stream = _deflate(stream)
        extra["Length"] = len(stream)
        return b"\n".join((extra.data, b"stream", stream, b"endstream"))

    pydyf.Stream.data = property(data)
    return True


def install() -> None:
    """Wrap WeasyPrint's Page.paint and pydyf's Stream.data (once; nothing when the
    memo is off or WeasyPrint is not the release followed)."""
    global _installed, _Recorder
    if _installed or not ENABLED:
        return
    _Recorder = _make_recorder()
    _wrap_paint()
    _wrap_svg_and_ellipsis()
    _wrap_stream_data()
    _installed = True
