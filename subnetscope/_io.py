"""Small file helpers: every result file is written atomically (temp file + rename)."""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

__all__ = ["atomic_path", "writable_folder", "write_json", "read_json", "save_npz", "save_npy"]


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path``.

    A crash leaves at most a stray ``*.tmp`` file, never a half-written ``path``. The final
    file gets the permissions a plain ``open(path, "w")`` would give (0666 minus the umask),
    not the private 0600 of the temporary file.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix + ".tmp")
    except OSError:
        writable_folder(path.parent, f"cannot write {str(path)!r}")  # raises, saying what is in the way
        raise
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def writable_folder(folder: str | os.PathLike, what: str = "") -> Path:
    """Make ``folder`` (and its parents) and check a file can be created in it; else raise an
    ``OSError`` of the same kind whose message says which path is in the way and why."""
    folder = Path(folder)
    what = what or f"cannot write in {str(folder)!r}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-test.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except (FileExistsError, NotADirectoryError) as exc:
        blocker = next((p for p in [folder, *folder.parents] if p.exists() and not p.is_dir()), folder)
        raise NotADirectoryError(f"{what}: {str(blocker)!r} is a file, not a folder") from exc
    except PermissionError as exc:
        raise PermissionError(f"{what}: no permission to create files in {str(folder)!r} "
                              "(choose a writable folder)") from exc
    except OSError as exc:
        raise OSError(exc.errno, f"{what}: {exc.strerror}") from exc
    return folder


def _umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux /proc)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore (not thread-safe, but brief)
    os.umask(mask)
    return mask


def write_json(path: str | os.PathLike, data: Any) -> Path:
    """Write ``data`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, default=_jsonable) + "\n")
    return Path(path)


def save_npz(path: str | os.PathLike, **arrays: Any) -> Path:
    """``numpy.savez(path, **arrays)``, atomically (``path`` is used as given, .npz included)."""
    import numpy as np

    with atomic_path(path, suffix=".npz") as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)
    return Path(path)


def save_npy(path: str | os.PathLike, array: Any) -> Path:
    """``numpy.save(path, array)``, atomically."""
    import numpy as np

    with atomic_path(path, suffix=".npy") as tmp:
        with open(tmp, "wb") as handle:
            np.save(handle, array)
    return Path(path)


def read_json(path: str | os.PathLike, what: str = "file") -> Any:
    """Read JSON with an error that names the file and what was expected."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} {str(path)!r} does not exist")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{what} {str(path)!r} is not valid JSON (truncated or another format?): {exc}") from exc


def _jsonable(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (set, tuple)):
        return list(obj)
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")
