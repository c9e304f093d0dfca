"""Render desktop/assets/hearth.svg to the PNG sizes and the .ico the installers use.

Run: ``QT_QPA_PLATFORM=offscreen python build_spec/render_icons.py`` (needs PySide6; the
.ico also needs ImageMagick's ``convert``). The results are committed.
"""

import shutil
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ASSETS = Path(__file__).resolve().parent.parent / "desktop" / "assets"
SIZES = (16, 32, 48, 64, 128, 256, 512)


def main() -> None:
    app = QGuiApplication(sys.argv)  # noqa: F841 (Qt needs it alive while painting)
    renderer = QSvgRenderer(str(ASSETS / "hearth.svg"))
    for size in SIZES:
        image = QImage(size, size, QImage.Format_ARGB32)
        image.fill(Qt.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.Antialiasing)
        renderer.render(painter)
        painter.end()
        image.save(str(ASSETS / f"hearth-{size}.png"))
    if shutil.which("convert"):
        pngs = [str(ASSETS / f"hearth-{s}.png") for s in (256, 128, 64, 48, 32, 16)]
        subprocess.run(["convert", *pngs, str(ASSETS / "hearth.ico")], check=True)


if __name__ == "__main__":
    main()
