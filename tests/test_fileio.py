"""The one atomic-write helper: complete files or nothing, for files and folders."""

from __future__ import annotations

import os

import pytest

from scientist.fileio import atomic_path, write_atomic


def test_write_atomic_creates_parents_and_replaces(tmp_path):
    target = tmp_path / "a" / "b.json"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["b.json"]
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask


def test_failure_leaves_nothing_under_the_final_name(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
    target.write_bytes(b"old")
    with pytest.raises(ValueError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"new")
            raise ValueError
    assert target.read_bytes() == b"old" and list(tmp_path.iterdir()) == [target]


def test_folders_are_renamed_into_place_and_a_winner_is_kept(tmp_path):
    target = tmp_path / "model"
    with atomic_path(target, directory=True) as tmp:
        (tmp / "m.onnx").write_bytes(b"first")
    assert (target / "m.onnx").read_bytes() == b"first"
    with atomic_path(target, directory=True) as tmp:  # another process got there first
        (tmp / "m.onnx").write_bytes(b"second")
    assert (target / "m.onnx").read_bytes() == b"first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
