"""The ..data symlink swap of configMap/secret/downwardAPI volumes (agent/kubelet/atomic_writer.py)."""
from __future__ import annotations

import os
from pathlib import Path

from agent.kubelet.atomic_writer import DATA, current_version, write


def visible(directory: Path) -> dict[str, str]:
    return {p.name: (directory / p.name).read_text() for p in directory.iterdir() if not p.name.startswith("..")}


def test_each_version_is_a_directory_switched_by_the_data_symlink(tmp_path: Path) -> None:
    assert write(tmp_path, {"colour": b"red", "size": b"small"}, 0o640) is True
    first = current_version(tmp_path)
    assert first is not None and first.parent == tmp_path and first.name.startswith("..")
    assert os.readlink(tmp_path / "colour") == f"{DATA}/colour"          # relative: works in the container too
    assert os.readlink(tmp_path / DATA) == first.name
    assert visible(tmp_path) == {"colour": "red", "size": "small"}
    assert (first / "colour").stat().st_mode & 0o777 == 0o640

    assert write(tmp_path, {"colour": b"red", "size": b"small"}, 0o640) is False   # unchanged: no new version
    assert current_version(tmp_path) == first

    assert write(tmp_path, {"colour": b"blue", "shape": b"round"}, 0o640) is True
    second = current_version(tmp_path)
    assert second is not None and second != first and not first.exists()     # the old version is gone
    assert visible(tmp_path) == {"colour": "blue", "shape": "round"}      # "size" vanished with its key
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("..")) == sorted([DATA, second.name])


def test_nested_paths_and_files_from_before_the_data_layout(tmp_path: Path) -> None:
    (tmp_path / "old-key").write_text("left over by a per-file writer")
    (tmp_path / "conf").write_text("a plain file where a directory link must go")
    write(tmp_path, {"conf/app.ini": b"x=1", "conf/extra/b.txt": b"b"}, 0o644)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("..")) == ["conf"]
    assert os.readlink(tmp_path / "conf") == f"{DATA}/conf"
    assert (tmp_path / "conf" / "app.ini").read_text() == "x=1"
    assert (tmp_path / "conf" / "extra" / "b.txt").read_text() == "b"
