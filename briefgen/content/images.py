"""Checks on images named by content: inside the issue folder, real, not hostile."""
from __future__ import annotations

import warnings
from pathlib import Path

from .. import fsguard
from ..errors import ContentError

MAX_IMAGE_BYTES = 20_000_000
MAX_IMAGE_PIXELS = 40_000_000  # 40 MP: far above any photo a brief prints, far below a bomb
IMAGE_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}


def resolve_inside(folder: Path, relative: str, source: Path, line: int | None,
                   what: str = "image", where: str = "issue") -> Path:
    """`relative` resolved against `folder`, refusing absolute paths and escapes (../, symlinks)."""
    if not relative or relative.startswith(("/", "\\")) or ":" in relative.split("/")[0]:
        raise ContentError(f"{what} path {relative!r} must be relative to the {where} folder",
                           path=source, line=line, hint="e.g. images/photo.jpg")
    target = (folder / relative).resolve()
    if not fsguard.is_inside(folder, relative):  # ../ or a link that points elsewhere
        raise ContentError(f"{what} {relative!r} is outside the {where} folder", path=source,
                           line=line, hint=f"copy the file into the {where} folder")
    if not target.is_file():
        raise ContentError(f"{what} not found: {relative}", path=source, line=line,
                           hint=f"put the file at {folder / relative} or fix the path")
    return target


def check_image(path: Path, source: Path, line: int | None) -> None:
    """Open the image header to prove it is a supported, sane image."""
    from PIL import Image as PILImage  # Pillow comes with WeasyPrint; imported only when needed
    from PIL import ImageFile

    size = path.stat().st_size
    if size > MAX_IMAGE_BYTES:
        raise ContentError(f"image {path.name} is {size // 1_000_000} MB, over the "
                           f"{MAX_IMAGE_BYTES // 1_000_000} MB limit", path=source, line=line,
                           hint="resize it (300 dpi at print size is plenty)")
    PILImage.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    # WeasyPrint turns on LOAD_TRUNCATED_IMAGES when imported; the check must not.
    tolerant, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(path) as img:
                kind = img.format
                img.verify()  # checks the structure (chunks, checksums)
            with PILImage.open(path) as img:
                img.load()  # decodes it: a truncated JPEG fails here, not in the writers
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
        raise ContentError(f"image {path.name} has too many pixels (limit "
                           f"{MAX_IMAGE_PIXELS // 1_000_000} MP)", path=source, line=line,
                           hint="resize it") from None
    except Exception as exc:  # Pillow raises many types for bad files
        raise ContentError(f"image {path.name} cannot be read ({type(exc).__name__})",
                           path=source, line=line,
                           hint="re-export it as JPEG or PNG") from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = tolerant
    if kind not in IMAGE_FORMATS:
        raise ContentError(f"image {path.name} is {kind}, not JPEG, PNG, GIF or WebP",
                           path=source, line=line, hint="re-export it as JPEG or PNG")
