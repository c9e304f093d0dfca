"""Opening workspace paths race-free: one component at a time, from a folder already open.

On POSIX the workspace root is opened once, and every component of a path is opened relative
to the folder before it with ``O_NOFOLLOW``: a folder swapped for a symbolic link between a
check and a use is never followed by the kernel. A link is followed only by reading its target
and walking that target the same way, so it can never lead outside. ``..`` goes back to the
folder already open, never through the file system. Hearth's own folders (``ctx.hidden``) are
recognised by identity (device and inode) and by path, and refused. Files are opened with
``O_NONBLOCK`` and refused unless regular, so a FIFO or a device never blocks a tool.

Windows has no ``dir_fd``: the same walk runs on paths there, checks and uses being separate
steps as before.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections import deque
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from core.paths import user_umask

from .base import ToolContext, ToolError
from .names import shown_name

POSIX = os.name != "nt" and os.open in os.supports_dir_fd
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
DIRECTORY = getattr(os, "O_DIRECTORY", 0)
NONBLOCK = getattr(os, "O_NONBLOCK", 0)
CLOEXEC = getattr(os, "O_CLOEXEC", 0)
BINARY = getattr(os, "O_BINARY", 0)
MAX_LINKS = 40  # as many links as the kernel follows in one path
MAX_RETRIES = 20  # a path that changes under the walk this often is refused


class Folder:
    """An open folder of the workspace: a descriptor on POSIX, a path on Windows."""

    def __init__(self, handle: int | str) -> None:
        self.handle = handle

    @classmethod
    def open_root(cls, path: Path) -> Folder:
        if POSIX:
            return cls(os.open(path, os.O_RDONLY | DIRECTORY | CLOEXEC))
        if not path.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(path))
        return cls(str(path))

    def _at(self, name: str) -> str:
        assert isinstance(self.handle, str)
        return os.path.join(self.handle, name)

    def child(self, name: str) -> Folder:
        """The sub-folder ``name``, never through a link (OSError ELOOP or ENOTDIR if not)."""
        if isinstance(self.handle, int):
            flags = os.O_RDONLY | DIRECTORY | NOFOLLOW | CLOEXEC
            return Folder(os.open(name, flags, dir_fd=self.handle))
        info = os.lstat(self._at(name))
        if stat.S_ISLNK(info.st_mode):
            raise OSError(errno.ELOOP, "a symbolic link", name)
        if not stat.S_ISDIR(info.st_mode):
            raise NotADirectoryError(errno.ENOTDIR, "not a folder", name)
        return Folder(self._at(name))

    def open(self, name: str, flags: int, mode: int = 0o666) -> int:
        flags |= NOFOLLOW | CLOEXEC | BINARY
        if isinstance(self.handle, int):
            return os.open(name, flags, mode, dir_fd=self.handle)
        return os.open(self._at(name), flags, mode)

    def lstat(self, name: str) -> os.stat_result:
        if isinstance(self.handle, int):
            return os.stat(name, dir_fd=self.handle, follow_symlinks=False)
        return os.lstat(self._at(name))

    def fstat(self) -> os.stat_result:
        return os.fstat(self.handle) if isinstance(self.handle, int) else os.stat(self.handle)

    def readlink(self, name: str) -> str:
        if isinstance(self.handle, int):
            return os.readlink(name, dir_fd=self.handle)
        return os.readlink(self._at(name))

    def mkdir(self, name: str) -> None:
        if isinstance(self.handle, int):
            os.mkdir(name, 0o700, dir_fd=self.handle)
            made = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=self.handle)
            try:  # as the user's own umask would make it, not Hearth's private one
                os.fchmod(made, 0o777 & ~user_umask())
            finally:
                os.close(made)
        else:
            os.mkdir(self._at(name))

    def rename(self, source: str, target: str) -> None:
        if isinstance(self.handle, int):
            os.rename(source, target, src_dir_fd=self.handle, dst_dir_fd=self.handle)
        else:
            os.replace(self._at(source), self._at(target))

    def unlink(self, name: str) -> None:
        if isinstance(self.handle, int):
            os.unlink(name, dir_fd=self.handle)
        else:
            os.unlink(self._at(name))

    def entries(self) -> list[os.DirEntry[str]]:
        with os.scandir(self.handle) as scan:  # type: ignore[type-var]
            return list(scan)

    def close(self) -> None:
        if isinstance(self.handle, int) and self.handle >= 0:
            with contextlib.suppress(OSError):
                os.close(self.handle)
            self.handle = -1


class Hidden:
    """Hearth's own folders and files, by real path and by (device, inode)."""

    def __init__(self, paths: tuple[Path, ...] | list[Path]) -> None:
        self.paths: set[Path] = set()
        self.ids: set[tuple[int, int]] = set()
        for path in paths:
            real = Path(os.path.realpath(path))
            self.paths.add(real)
            with contextlib.suppress(OSError):
                info = os.stat(real)
                self.ids.add((info.st_dev, info.st_ino))

    def has(self, path: Path, info: os.stat_result | None = None) -> bool:
        if path in self.paths:
            return True
        return info is not None and (info.st_dev, info.st_ino) in self.ids


@dataclass
class Spot:
    """Where a path leads: the open folder holding it and its name there.

    ``name`` is None when the path is the folder itself; ``info`` is the name's lstat, or
    None when nothing has that name yet.
    """

    folder: Folder
    parts: tuple[str, ...]
    name: str | None
    info: os.stat_result | None
    owned: bool  # whether closing the spot closes ``folder``

    @property
    def rel(self) -> str:
        return shown_path(self.parts)

    def close(self) -> None:
        if self.owned:
            self.folder.close()


def shown_path(parts: tuple[str, ...]) -> str:
    """How the model should name a path: relative to the workspace, with forward slashes."""
    return shown_name("/".join(parts)) if parts else "."


def private_folder_error(shown: str) -> ToolError:
    return ToolError(
        f"{shown!r} is one of Hearth's own folders (its data, settings, logs or keys), "
        "which tools cannot open"
    )


class Workspace:
    """The workspace root, open for one tool call; use as a context manager."""

    def __init__(self, ctx: ToolContext) -> None:
        self.path = Path(os.path.realpath(ctx.workspace))
        self.hidden = Hidden(tuple(ctx.hidden))
        try:
            self.root = Folder.open_root(self.path)
        except OSError as exc:
            raise ToolError(f"the workspace folder {str(ctx.workspace)!r} does not exist") from exc
        if self.hidden.has(self.path, self.root.fstat()):
            self.root.close()
            raise ToolError(
                "the workspace is one of Hearth's own folders (its data, settings, logs or "
                "keys), which tools cannot open; choose another workspace folder"
            )

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.root.close()

    def is_hidden(self, parts: tuple[str, ...] | list[str], info: os.stat_result | None) -> bool:
        return self.hidden.has(self.path.joinpath(*parts), info)

    def locate(self, text: str, *, make_folders: bool = False) -> Spot:
        """Walk ``text`` from the root, following only links that stay inside."""
        shown = shown_name(text)
        pending = deque(split_path(text))
        stack: list[Folder] = [self.root]
        names: list[str] = []
        links = retries = 0

        def back_to_root() -> None:
            while len(stack) > 1:
                stack.pop().close()
            names.clear()

        def follow(name: str) -> None:
            nonlocal links, retries
            links += 1
            if links > MAX_LINKS:
                raise ToolError(f"{shown!r} goes through a symbolic link loop")
            try:
                target = stack[-1].readlink(name)
            except OSError as exc:  # no longer a link: look again
                retries += 1
                if retries > MAX_RETRIES:
                    raise ToolError(f"{shown!r} kept changing while it was opened") from exc
                pending.appendleft(name)
                return
            if _is_absolute(target):
                real = Path(os.path.realpath(target))
                if not (real == self.path or real.is_relative_to(self.path)):
                    raise ToolError(f"{shown!r} is outside the workspace")
                back_to_root()
                pending.extendleft(reversed(real.relative_to(self.path).parts))
            else:
                pending.extendleft(reversed(_components(target)))

        try:
            while pending:
                name = pending.popleft()
                if name == "..":
                    if not names:
                        raise ToolError(f"{shown!r} is outside the workspace")
                    stack.pop().close()
                    names.pop()
                    continue
                if not pending:  # the last component: looked at, not opened
                    try:
                        info: os.stat_result | None = stack[-1].lstat(name)
                    except FileNotFoundError:
                        info = None
                    except OSError as exc:
                        raise ToolError(f"{shown!r} cannot be opened ({reason(exc)})") from exc
                    if info is not None and stat.S_ISLNK(info.st_mode):
                        follow(name)
                        continue
                    if self.is_hidden([*names, name], info):
                        raise private_folder_error(shown)
                    spot = Spot(stack[-1], tuple(names) + (name,), name, info, len(stack) > 1)
                    stack.pop()
                    return spot
                try:
                    child = stack[-1].child(name)
                except FileNotFoundError as exc:
                    if not make_folders:
                        raise ToolError(f"{shown!r} does not exist") from exc
                    if self.is_hidden([*names, name], None):
                        raise private_folder_error(shown) from exc
                    with contextlib.suppress(FileExistsError):
                        stack[-1].mkdir(name)
                    pending.appendleft(name)
                    continue
                except OSError as exc:
                    try:
                        info = stack[-1].lstat(name)
                    except OSError:
                        info = None
                    if info is not None and stat.S_ISLNK(info.st_mode):
                        follow(name)
                        continue
                    if info is not None and not stat.S_ISDIR(info.st_mode):
                        where = shown_name("/".join([*names, name]))
                        raise ToolError(f"{shown!r}: {where} is a file, not a folder") from exc
                    retries += 1
                    if retries > MAX_RETRIES:
                        raise ToolError(f"{shown!r} cannot be opened ({reason(exc)})") from exc
                    pending.appendleft(name)
                    continue
                stack.append(child)
                names.append(name)
                if self.is_hidden(names, child.fstat()):
                    raise private_folder_error(shown)
            spot = Spot(stack[-1], tuple(names), None, None, len(stack) > 1)
            stack.pop()
            return spot
        finally:
            for folder in stack[1:]:
                folder.close()

    def open_folder(self, text: str) -> tuple[Folder, tuple[str, ...]]:
        """The folder ``text`` names, open, and its components from the root.

        The caller closes the folder unless it is ``self.root``.
        """
        spot = self.locate(text)
        if spot.name is None:
            return spot.folder, spot.parts
        try:
            if spot.info is None:
                raise ToolError(f"{shown_name(text)!r} does not exist")
            if not stat.S_ISDIR(spot.info.st_mode):
                raise ToolError(f"{shown_name(text)!r} is a file, not a folder")
            try:
                child = spot.folder.child(spot.name)
            except OSError as exc:
                raise ToolError(f"{shown_name(text)!r} changed while it was opened") from exc
            if self.is_hidden(spot.parts, child.fstat()):
                child.close()
                raise private_folder_error(shown_name(text))
            return child, spot.parts
        finally:
            spot.close()

    def open_file(self, text: str) -> tuple[int, str, os.stat_result]:
        """A regular file ``text`` names, open for reading: (descriptor, shown name, fstat)."""
        for _ in range(MAX_RETRIES):
            spot = self.locate(text)
            try:
                opened = self.open_spot(spot, text)
            finally:
                spot.close()
            if opened is not None:
                return opened[0], spot.rel, opened[1]
        raise ToolError(f"{shown_name(text)!r} kept changing while it was opened")

    def open_spot(self, spot: Spot, text: str) -> tuple[int, os.stat_result] | None:
        """The regular file at ``spot`` open for reading, or None if it was swapped meanwhile."""
        shown = shown_name(text)
        if spot.name is None or (spot.info and stat.S_ISDIR(spot.info.st_mode)):
            raise ToolError(f"{shown!r} is a folder; use list_directory")
        if spot.info is None:
            raise ToolError(f"{shown!r} does not exist")
        refuse_irregular(spot.info, spot.rel)
        try:
            fd = spot.folder.open(spot.name, os.O_RDONLY | NONBLOCK)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOENT, errno.EMLINK):
                return None  # swapped since it was looked at: walk again
            raise ToolError(f"{spot.rel} cannot be opened ({reason(exc)})") from exc
        info = os.fstat(fd)
        try:
            refuse_irregular(info, spot.rel)
            if self.is_hidden(spot.parts, info):
                raise private_folder_error(shown)
        except ToolError:
            os.close(fd)
            raise
        return fd, info

    def replace_file(self, spot: Spot, data: bytes, mode: int | None) -> None:
        """Write ``data`` under ``spot.name`` in its folder, atomically (temp file + rename)."""
        assert spot.name is not None
        temp = f".hearth-{os.urandom(6).hex()}.tmp"
        fd = spot.folder.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
                if mode is None:  # a new file: as the user's own umask would make it
                    mode = 0o666 & ~user_umask()
                if hasattr(os, "fchmod"):
                    os.fchmod(handle.fileno(), mode)
            spot.folder.rename(temp, spot.name)
        except BaseException:
            with contextlib.suppress(OSError):
                spot.folder.unlink(temp)
            raise


def refuse_irregular(info: os.stat_result, shown: str) -> None:
    if stat.S_ISREG(info.st_mode):
        return
    if stat.S_ISDIR(info.st_mode):
        raise ToolError(f"{shown!r} is a folder; use list_directory")
    raise ToolError(f"{shown!r} is {kind_of(info)}, not a regular file; tools do not open it")


def kind_of(info: os.stat_result) -> str:
    mode = info.st_mode
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "a special file"


def split_path(text: str) -> list[str]:
    """The components of a path argument, relative to the workspace; absolute ones refused."""
    text = text.strip() if isinstance(text, str) else ""
    if "\x00" in text:
        raise ToolError("the path contains a NUL character")
    if _is_absolute(text):
        raise ToolError(
            f"{shown_name(text)!r} is outside the workspace: use a path relative to the "
            "workspace folder"
        )
    return _components(text)


def _components(text: str) -> list[str]:
    if os.name == "nt":
        text = text.replace("\\", "/")
    return [part for part in text.split("/") if part not in ("", ".")]


def _is_absolute(text: str) -> bool:
    if os.path.isabs(text) or PurePosixPath(text).is_absolute():
        return True
    if text.startswith(("\\", "/")):
        return True
    if os.name == "nt":
        windows = PureWindowsPath(text)
        return bool(windows.drive or windows.root)
    return False


def reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
