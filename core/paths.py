"""Where Hearth keeps its files: data, config, logs and cache.

Defaults come from platformdirs for "Hearth". ``HEARTH_DATA_DIR`` or an explicit
``data_dir`` moves everything under that one folder, so a test (or a portable
install) never touches the real home directory.

Everything Hearth keeps is private to the user running it, whatever was there before:
``Paths.create()`` refuses folders and files that belong to another user, makes the folders
0700 and Hearth's files in them 0600, and sets the process umask to 0o077 so that every file
created afterwards (the database and its -wal/-shm, server.log, backups) starts private.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "Hearth"
DATA_DIR_ENV = "HEARTH_DATA_DIR"


PRIVATE_UMASK = 0o077
# Sub-folders whose files are all Hearth's own, made private one level further down. Other
# sub-folders (the default workspace) hold the user's files: only the folder itself is closed.
OWN_SUBFOLDERS = ("backups",)


class PathsError(Exception):
    """A Hearth folder that cannot be created or written, or that is not the user's own."""


_user_umask: int | None = None


def user_umask() -> int:
    """The umask the process started with, before Hearth made it private.

    For what Hearth makes on the user's behalf outside its own folders (a command's files in
    a workspace), e.g. ``subprocess.Popen(..., umask=user_umask())``.
    """
    if _user_umask is not None:
        return _user_umask
    current = os.umask(PRIVATE_UMASK)
    os.umask(current)
    return current


def private_umask() -> None:
    """From now on this process creates files 0600 and folders 0700 (remembering the old umask)."""
    global _user_umask
    previous = os.umask(PRIVATE_UMASK)
    if _user_umask is None:
        _user_umask = previous


@dataclass(frozen=True)
class Paths:
    data: Path
    config: Path
    logs: Path
    cache: Path

    @property
    def database(self) -> Path:
        return self.data / "hearth.sqlite3"

    @property
    def backups(self) -> Path:
        return self.data / "backups"

    @classmethod
    def resolve(
        cls,
        data_dir: str | os.PathLike[str] | None = None,
        *,
        config_dir: str | os.PathLike[str] | None = None,
        logs_dir: str | os.PathLike[str] | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> Paths:
        """Work out the folders without creating them.

        An explicit argument wins over ``HEARTH_DATA_DIR``, which wins over the
        platform defaults. When the data folder is chosen, the other folders
        default to sub-folders of it.
        """
        env = os.environ if env is None else env
        chosen = data_dir if data_dir is not None else env.get(DATA_DIR_ENV) or None
        if chosen is not None:
            data = Path(chosen).expanduser().absolute()
            defaults = {"config": data / "config", "logs": data / "logs", "cache": data / "cache"}
        else:
            import platformdirs

            dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
            data = Path(dirs.user_data_dir)
            defaults = {
                "config": Path(dirs.user_config_dir),
                "logs": Path(dirs.user_log_dir),
                "cache": Path(dirs.user_cache_dir),
            }

        def pick(value: str | os.PathLike[str] | None, key: str) -> Path:
            return Path(value).expanduser().absolute() if value is not None else defaults[key]

        return cls(
            data=data,
            config=pick(config_dir, "config"),
            logs=pick(logs_dir, "logs"),
            cache=pick(cache_dir, "cache"),
        )

    @property
    def folders(self) -> tuple[Path, ...]:
        return (self.data, self.config, self.logs, self.cache)

    def create(self) -> Paths:
        """Make every folder private to this user, creating the missing ones.

        Sets the process umask to 0o077, creates missing folders 0700, and for the ones that
        exist: refuses any that belongs to another user (PathsError, a sentence saying what to
        do), and makes them 0700 and Hearth's files in them 0600.
        """
        private_umask()
        for folder in self.folders:
            make_private_dir(folder)
        for folder in self.folders:
            make_private(folder)
        return self


def make_private(folder: Path) -> None:
    """Close ``folder`` (0700) and what it holds (files 0600, folders 0700) to other users.

    Symbolic links are never followed (a mode change would land on their target); an entry
    that belongs to another user is refused, as it may have been planted while the folder was
    open.
    """
    _check_owner(folder, os.stat(folder))
    _chmod(folder, 0o700)
    try:
        entries = list(os.scandir(folder))
    except OSError as exc:
        raise PathsError(f"Hearth cannot read its folder {folder}: {exc.strerror or exc}.") from exc
    for entry in entries:
        path = Path(entry.path)
        info = entry.stat(follow_symlinks=False)
        _check_owner(path, info)
        if stat.S_ISDIR(info.st_mode):
            if entry.name in OWN_SUBFOLDERS:
                make_private(path)
            else:
                _chmod(path, 0o700)
        elif stat.S_ISREG(info.st_mode):
            _chmod(path, 0o600)


def _check_owner(path: Path, info: os.stat_result) -> None:
    uid = os.getuid()
    if info.st_uid != uid:
        what = "folder" if stat.S_ISDIR(info.st_mode) else "file"
        raise PathsError(
            f"Hearth refuses to use the {what} {path}: it belongs to another user (uid"
            f" {info.st_uid}, not {uid}), who could read or change your chats. Choose another"
            " data folder (--data-dir or HEARTH_DATA_DIR), or give this one back to your user."
        )


def _chmod(path: Path, mode: int) -> None:
    try:
        if stat.S_IMODE(os.lstat(path).st_mode) != mode:
            os.chmod(path, mode)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise PathsError(f"Hearth cannot make {path} private: {reason}.") from exc


def make_private_dir(folder: Path) -> None:
    """Create ``folder`` (and missing parents) as 0700; leave an existing one's mode alone."""
    if folder.is_dir():
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PathsError(f"Hearth cannot write to the folder {folder}.")
        return
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)  # mkdir's mode is filtered by the umask
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise PathsError(f"Hearth cannot create the folder {folder}: {reason}.") from exc
