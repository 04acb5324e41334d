"""Render the README's picture: the sample issue's first three pages, side by side.

    .venv/bin/python docs/make_picture.py    # writes docs/sample-pages.png

It builds content/nile-dispute in the default layout into a temporary folder,
renders pages 1-3 with pypdfium2 and keeps the PNG small (a 64-colour palette).
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pypdfium2
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "sample-pages.png"
PAGES, HEIGHT, GAP = 3, 420, 12


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        subprocess.run([sys.executable, "-m", "briefgen", "build", str(ROOT / "content" / "nile-dispute"),
                        "-f", "pdf", "-o", work], check=True, capture_output=True)
        pdf = pypdfium2.PdfDocument(str(Path(work) / "nile-dispute.pdf"))
        images = []
        for index in range(PAGES):
            page = pdf[index]
            scale = HEIGHT / page.get_height()
            images.append(page.render(scale=scale * 2).to_pil().resize(
                (round(page.get_width() * scale), HEIGHT), Image.LANCZOS))
        width = sum(i.width for i in images) + GAP * (PAGES + 1)
        sheet = Image.new("RGB", (width, HEIGHT + 2 * GAP), (214, 218, 224))
        x = GAP
        for image in images:
            sheet.paste(image, (x, GAP))
            x += image.width + GAP
        sheet.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(TARGET, optimize=True)
    print(f"wrote {TARGET.relative_to(ROOT)} ({TARGET.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
