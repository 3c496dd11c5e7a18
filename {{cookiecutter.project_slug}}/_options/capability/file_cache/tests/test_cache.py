"""The cache of what a run read from a data file: one entry per file and settings, complete or
absent, whichever process builds it."""

from __future__ import annotations

from pathlib import Path

from {{ cookiecutter.package_name }}.data.cache import cache_entry, write_entry


def test_processes_building_one_entry_at_once_leave_one_complete_entry(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("x\n1\n")
    entry = cache_entry(tmp_path / "cache", data, "table", "settings")

    def fill(text: str):
        def write(folder: Path) -> None:
            (folder / "part").write_text(text)
            if text == "first":
                # The other process finishes while this one is still writing.
                write_entry(entry, fill("second"))
            (folder / "rest").write_text(text)

        return write

    write_entry(entry, fill("first"))
    assert sorted(path.name for path in entry.parent.iterdir()) == [entry.name]
    assert [(entry / name).read_text() for name in ("part", "rest")] == ["second", "second"]


def test_a_changed_file_or_setting_replaces_its_entry_only(tmp_path: Path) -> None:
    data, other = tmp_path / "data.csv", tmp_path / "data-2.csv"
    data.write_text("x\n1\n")
    other.write_text("x\n1\n")
    cache = tmp_path / "cache"
    kept = cache_entry(cache, other, "table", "settings")
    old = cache_entry(cache, data, "table", "settings")
    for entry in (kept, old, cache_entry(cache, data, "tokens", "settings")):
        write_entry(entry, lambda folder: None)
    assert cache_entry(cache, data, "table", "settings") == old
    data.write_text("x\n2\n3\n")
    assert cache_entry(cache, data, "table", "settings") != old != cache_entry(cache, data, "table", "others")
    new = cache_entry(cache, data, "table", "others")
    write_entry(new, lambda folder: None)
    assert not old.exists() and new.is_dir() and kept.is_dir()
    assert len(list(cache.iterdir())) == 3
