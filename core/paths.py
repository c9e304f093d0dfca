"""Where Hearth keeps its files: data, config, logs and cache.

Defaults come from platformdirs for "Hearth". ``HEARTH_DATA_DIR`` or an explicit
``data_dir`` moves everything under that one folder, so a test (or a portable
install) never touches the real home directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "Hearth"
DATA_DIR_ENV = "HEARTH_DATA_DIR"


class PathsError(Exception):
    """A Hearth folder that cannot be created or written."""


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

    def create(self) -> Paths:
        """Create every folder that is missing, readable by this user only (0700)."""
        for folder in (self.data, self.config, self.logs, self.cache):
            make_private_dir(folder)
        return self


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
