"""docs/architecture.md names only files and folders that exist.

The architecture document is a map of the tree; a map with a street that is no
longer there misleads. Every repository path it names, in backticks (`apiserver/storage.py`,
`controllers/util/`) or as a relative Markdown link target, must exist, so a rename or a
removal that forgets the document fails here instead of going stale silently.

A span counts as a path when it ends in a file suffix we keep in the tree (.py, .md, .sh,
.yaml, .toml) or in `/` (a folder). URLs, absolute paths (`/api/v1/pods`, `/etc/hosts`) and
API paths without such an ending (`pods/binding`) are not repository paths and are skipped.
"""
from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "architecture.md"

PATH_SUFFIXES = (".py", ".md", ".sh", ".yaml", ".toml", "/")
BACKTICKED = re.compile(r"`([^`\n]+)`")
LINK_TARGET = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")
PATH_SHAPE = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*/?")


def _paths(candidates: list[str]) -> list[str]:
    found: list[str] = []
    for text in (c.strip() for c in candidates):
        if "://" in text or text.startswith(("/", "~")) or not PATH_SHAPE.fullmatch(text):
            continue
        if text.endswith(PATH_SUFFIXES) and text not in found:
            found.append(text)
    return found


def backticked_paths(markdown: str) -> list[str]:
    """Repository paths written in backticks (relative to the repository root), each once."""
    return _paths(BACKTICKED.findall(markdown))


def linked_paths(markdown: str) -> list[str]:
    """Relative Markdown link targets (relative to the document, as Markdown reads them), each once."""
    return _paths(LINK_TARGET.findall(markdown))


def test_the_extractor_finds_paths_and_skips_what_is_not_a_path() -> None:
    text = ("`apiserver/storage.py` and `controllers/util/`, [the README](../README.md), "
            "`/api/v1/pods`, `pods/binding`, `http://127.0.0.1:6443/`, `-v 4`, `storage.py`, "
            "[k8s](https://kubernetes.io/docs/)")
    assert backticked_paths(text) == ["apiserver/storage.py", "controllers/util/", "storage.py"]
    assert linked_paths(text) == ["../README.md"]


def test_every_path_named_in_the_architecture_document_exists() -> None:
    text = DOC.read_text()
    named = [(p, REPO / p) for p in backticked_paths(text)] + [(p, DOC.parent / p) for p in linked_paths(text)]
    # The document is a file-by-file map: if the extractor finds few paths, its format
    # changed and this test would silently check nothing.
    assert len(named) > 100, f"only {len(named)} paths found in {DOC}"
    missing = [p for p, where in named if not where.exists()]
    assert not missing, f"docs/architecture.md names paths that do not exist: {missing}"
    not_folders = [p for p, where in named if p.endswith("/") and not where.is_dir()]
    assert not not_folders, f"docs/architecture.md names these as folders, but they are files: {not_folders}"
