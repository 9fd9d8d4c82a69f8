"""Kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go): configMap, secret and
downwardAPI volumes change as a whole, never file by file.

    <volume>/..2026_11_26_10_20_00.481516342/colour   each version in a fresh, hidden directory
    <volume>/..data -> ..2026_11_26_10_20_00.481516342  the current version: one symlink
    <volume>/colour -> ..data/colour                    the names the application reads

An update writes the new version beside the old one, points a new symlink
`..data_tmp` at it and renames that over `..data` — rename(2) is atomic, so
a reader resolving `colour` gets the old version or the new one, never a mix
of keys from both. Then the names of vanished keys and the old version go.
All links are relative, so they resolve inside the container that bind-mounts
the volume. (A subPath mount binds one resolved file and so never updates, as
in Kubernetes.) Applications that watch for changes watch `..data`.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

DATA = "..data"
DATA_TMP = "..data_tmp"


def current_version(directory: Path) -> Path | None:
    """The version directory `..data` points at, if any."""
    link = directory / DATA
    return directory / os.readlink(link) if link.is_symlink() else None


def _holds(version: Path, files: dict[str, bytes]) -> bool:
    """Does `version` hold exactly `files` (names and contents)?"""
    present = {str(p.relative_to(version)) for p in version.rglob("*") if p.is_file()}
    return present == set(files) and all((version / name).read_bytes() == data for name, data in files.items())


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def write(directory: Path, files: dict[str, bytes], mode: int) -> bool:
    """Make `directory` show `files` (relative path -> content); False when it already did."""
    old = current_version(directory)
    if old is not None and old.is_dir() and _holds(old, files):
        return False
    stamp = time.strftime("..%Y_%m_%d_%H_%M_%S.", time.gmtime())
    version = Path(tempfile.mkdtemp(prefix=stamp, dir=directory))
    version.chmod(0o755)
    for name, data in files.items():
        path = version / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(mode)
    (directory / DATA_TMP).unlink(missing_ok=True)
    os.symlink(version.name, directory / DATA_TMP)
    os.replace(directory / DATA_TMP, directory / DATA)          # the atomic switch
    visible = {Path(name).parts[0] for name in files}
    for entry in directory.iterdir():
        if not entry.name.startswith("..") and entry.name not in visible:
            _remove(entry)                                      # a vanished key (or a pre-..data file)
    for name in visible:
        link = directory / name
        if not link.is_symlink():
            _remove(link)
            os.symlink(f"{DATA}/{name}", link)
    if old is not None and old != version:
        _remove(old)
    return True
