"""A smaller ICU data library for the Linux bundle (32 MB -> about 15 MB).

Qt's own ICU (libicudata.so.73, next to libQt6Core) carries every CLDR display name, currency,
unit, transliterator and legacy code page. Qt uses ICU for collation (QCollator), case mapping,
normalisation, locale fallback and time-zone names (QTimeZone::displayName, so zone/ stays); its
language and country names come from its own tables, and
the web page is drawn by Chromium with its own ICU (resources/icudtl.dat). So the display-name
trees, transliteration, number spell-out and the non-Unicode converters go; the rest stays.

Needs ICU's icupkg and genccode (Debian: icu-devtools) and a C compiler; without them the bundle
keeps the full library. Called from hearth.spec.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

# Item trees and kinds in the ICU package that Qt's window never reads (see the docstring).
DROPPED_TREES = ("lang/", "region/", "curr/", "unit/", "translit/", "rbnf/")
DROPPED_SUFFIXES = (".cnv",)
TOOLS = ("icupkg", "genccode", "cc")


def data_symbol(library: Path) -> tuple[str, int, int] | None:
    """(symbol, file offset, size) of the ICU data blob, e.g. icudt73_dat, from the ELF."""
    symbols = subprocess.run(
        ["nm", "-D", "-S", str(library)], capture_output=True, text=True
    ).stdout.split()
    for i, word in enumerate(symbols):
        if word.startswith("icudt") and word.endswith("_dat"):
            address, size = int(symbols[i - 3], 16), int(symbols[i - 2], 16)
            return word, file_offset(library, address), size
    return None


def file_offset(library: Path, address: int) -> int:
    """Where a virtual address lies in the file (readelf's section table)."""
    out = subprocess.run(["readelf", "-SW", str(library)], capture_output=True, text=True).stdout
    for line in out.splitlines():
        fields = line.replace("[ ", "[").split()
        if len(fields) > 5 and fields[0].startswith("[") and fields[2] == "PROGBITS":
            start, offset, size = int(fields[3], 16), int(fields[4], 16), int(fields[5], 16)
            if start <= address < start + size:
                return offset + address - start
    raise ValueError(f"{address:#x} is in no section of {library}")


def trimmed_icu_data(library: Path, work: Path) -> Path | None:
    """A copy of ``library`` without the dropped items, or None when it cannot be made here."""
    if not sys.platform.startswith("linux") or any(shutil.which(t) is None for t in TOOLS):
        return None
    try:
        return trim(library, work)
    except (OSError, ValueError, subprocess.CalledProcessError) as error:
        print(f"ICU data kept whole: {error}", file=sys.stderr)
        return None


def trim(library: Path, work: Path) -> Path | None:
    found = data_symbol(library)
    if found is None:
        return None
    symbol, offset, size = found
    name = symbol[: -len("_dat")] + "l"  # icudt73l: the package name icupkg expects
    work = work / "icu"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    package = work / f"{name}.dat"
    with library.open("rb") as f:
        f.seek(offset)
        package.write_bytes(f.read(size))
    items = subprocess.run(
        ["icupkg", "-l", package.name], cwd=work, capture_output=True, text=True, check=True
    ).stdout.split()
    dropped = [i for i in items if i.startswith(DROPPED_TREES) or i.endswith(DROPPED_SUFFIXES)]
    (work / "dropped.txt").write_text("\n".join(dropped) + "\n")
    run = {"cwd": work, "check": True, "capture_output": True}
    subprocess.run(["icupkg", "-r", "dropped.txt", package.name], **run)
    subprocess.run(["genccode", "-a", "gcc", "-e", symbol[: -len("_dat")], package.name], **run)
    out = work / library.name
    subprocess.run(
        ["cc", "-shared", "-nostdlib", f"-Wl,-soname,{library.name}", "-o", out.name,
         f"{name}_dat.S"],
        **run,
    )  # fmt: skip
    return out
