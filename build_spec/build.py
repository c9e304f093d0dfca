"""Build Hearth for the OS this runs on: ``python build_spec/build.py``.

1. PyInstaller turns build_spec/hearth.spec into a one-folder app: ``dist/hearth/`` (Linux,
   Windows) or ``dist/Hearth.app`` (macOS). ``<bundle>/hearth`` opens the window and
   ``<bundle>/hearth serve`` runs headless.
2. Then the installers for that OS: Linux a ``.deb`` (dpkg-deb) and a ``.tar.gz``, both with a
   ``.desktop`` entry and icons; Windows an Inno Setup installer (needs ``iscc``); macOS a
   ``.dmg`` (needs ``hdiutil``, ``iconutil``).

Needs the project installed with the desktop extras and PyInstaller in the running Python
(``pip install -e . 'pywebview[pyside6]' pyinstaller``). Options: ``--dist DIR``,
``--work DIR``, ``--no-installers``, ``--fast`` (light compression, for tests).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "build_spec" / "hearth.spec"
ASSETS = ROOT / "desktop" / "assets"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
DEB_DEPENDS = "libc6 (>= 2.31), libgl1, libegl1, libxcb1, libfontconfig1"

sys.path.insert(0, str(ROOT))
from core.version import __version__  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build Hearth's bundle and installers.")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build")
    parser.add_argument("--no-installers", action="store_true", help="only the bundle")
    parser.add_argument("--fast", action="store_true", help="light compression")
    args = parser.parse_args(argv)
    # What is packaged is installed for every user: standard modes, whatever umask the
    # caller has (Hearth itself runs with 077, and so does a test process that opened a store).
    os.umask(0o022)

    bundle = build_bundle(args.dist.resolve(), args.work.resolve())
    total, model = folder_size(bundle), sum(f.stat().st_size for f in bundle.rglob("*.gguf"))
    print(
        f"bundle: {bundle} ({total / 1e6:.0f} MB unpacked, {(total - model) / 1e6:.0f} MB "
        f"without the built-in model; {(total - model) / 2**20:.0f} MiB)"
    )
    if args.no_installers:
        return 0
    for made in installers(bundle, args.dist.resolve(), args.work.resolve(), args.fast):
        print(f"installer: {made} ({made.stat().st_size / 1e6:.0f} MB)")
    return 0


def build_bundle(dist: Path, work: Path) -> Path:
    env = dict(os.environ)
    if sys.platform == "darwin":
        env["HEARTH_ICNS"] = str(make_icns(work))
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(dist),
            "--workpath",
            str(work / "pyinstaller"),
            str(SPEC),
        ],
        check=True,
        cwd=ROOT,
        env=env,
    )
    print(f"PyInstaller took {time.monotonic() - started:.0f} s")
    return dist / ("Hearth.app" if sys.platform == "darwin" else "hearth")


def installers(bundle: Path, dist: Path, work: Path, fast: bool) -> list[Path]:
    if sys.platform.startswith("linux"):
        return [linux_tarball(bundle, dist, fast), linux_deb(bundle, dist, work, fast)]
    if sys.platform == "win32":
        return [windows_installer(bundle, dist)]
    if sys.platform == "darwin":
        return [macos_dmg(bundle, dist)]
    return []


def arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine, machine
    )


def linux_tarball(bundle: Path, dist: Path, fast: bool) -> Path:
    """hearth-VERSION-linux-ARCH.tar.gz: the bundle, its .desktop entry, icons, install.sh."""
    name = f"hearth-{__version__}-linux-{arch()}"
    out = dist / f"{name}.tar.gz"
    with tarfile.open(out, "w:gz", compresslevel=1 if fast else 6) as tar:
        tar.add(bundle, arcname=f"{name}/hearth")
        tar.add(ROOT / "build_spec" / "linux" / "hearth.desktop", arcname=f"{name}/hearth.desktop")
        tar.add(ROOT / "build_spec" / "linux" / "install.sh", arcname=f"{name}/install.sh")
        for size in ICON_SIZES:
            tar.add(ASSETS / f"hearth-{size}.png", arcname=f"{name}/icons/hearth-{size}.png")
    return out


def linux_deb(bundle: Path, dist: Path, work: Path, fast: bool) -> Path:
    """hearth_VERSION_ARCH.deb: /opt/hearth, /usr/bin/hearth, the .desktop entry and icons."""
    deb_arch = {"x86_64": "amd64", "arm64": "arm64"}.get(arch(), arch())
    root = work / "deb-root"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(bundle, root / "opt" / "hearth", symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "bin" / "hearth").symlink_to("/opt/hearth/hearth")
    applications = root / "usr" / "share" / "applications"
    applications.mkdir(parents=True)
    shutil.copy(ROOT / "build_spec" / "linux" / "hearth.desktop", applications / "hearth.desktop")
    for size in ICON_SIZES:
        icons = root / "usr" / "share" / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        icons.mkdir(parents=True)
        shutil.copy(ASSETS / f"hearth-{size}.png", icons / "hearth.png")
    scalable = root / "usr" / "share" / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True)
    shutil.copy(ASSETS / "hearth.svg", scalable / "hearth.svg")
    control = root / "DEBIAN"
    control.mkdir()
    size_kb = folder_size(root) // 1024
    (control / "control").write_text(
        f"Package: hearth\n"
        f"Version: {__version__}\n"
        f"Architecture: {deb_arch}\n"
        f"Maintainer: Hearth developers <hearth@localhost>\n"
        f"Installed-Size: {size_kb}\n"
        f"Depends: {DEB_DEPENDS}\n"
        f"Recommends: xdg-utils\n"
        f"Section: utils\n"
        f"Priority: optional\n"
        f"Description: desktop home for long conversations with an AI agent\n"
        f" Hearth keeps agent sessions in a local database that survives crashes;\n"
        f" `hearth serve` runs it headless for a browser on the same machine.\n",
        encoding="utf-8",
    )
    out = dist / f"hearth_{__version__}_{deb_arch}.deb"
    compression = ["-Zgzip", "-z1"] if fast else ["-Zxz", "-z6"]
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", *compression, "--build", str(root), str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return out


def windows_installer(bundle: Path, dist: Path) -> Path:
    iscc = shutil.which("iscc") or r"C:\Program Files (x86)\Inno Setup 6\ISCC.exe"
    script = ROOT / "build_spec" / "windows" / "hearth.iss"
    subprocess.run(
        [iscc, f"/DAppVersion={__version__}", f"/DBundleDir={bundle}", f"/O{dist}", str(script)],
        check=True,
    )
    return dist / f"Hearth-{__version__}-setup.exe"


def make_icns(work: Path) -> Path:
    iconset = work / "hearth.iconset"
    shutil.rmtree(iconset, ignore_errors=True)
    iconset.mkdir(parents=True)
    for size in (16, 32, 128, 256, 512):
        shutil.copy(ASSETS / f"hearth-{size}.png", iconset / f"icon_{size}x{size}.png")
        if size * 2 in ICON_SIZES:
            shutil.copy(ASSETS / f"hearth-{size * 2}.png", iconset / f"icon_{size}x{size}@2x.png")
    out = work / "hearth.icns"
    subprocess.run(["iconutil", "-c", "icns", str(iconset), "-o", str(out)], check=True)
    return out


def macos_dmg(app: Path, dist: Path) -> Path:
    """Hearth-VERSION.dmg: the .app beside a link to /Applications, to drag it onto."""
    staging = dist / "dmg"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    shutil.copytree(app, staging / app.name, symlinks=True)
    (staging / "Applications").symlink_to("/Applications")
    out = dist / f"Hearth-{__version__}-macos-{arch()}.dmg"
    out.unlink(missing_ok=True)
    subprocess.run(
        [
            "hdiutil",
            "create",
            "-volname",
            "Hearth",
            "-srcfolder",
            str(staging),
            "-ov",
            "-format",
            "UDZO",
            str(out),
        ],
        check=True,
    )
    return out


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


if __name__ == "__main__":
    sys.exit(main())
