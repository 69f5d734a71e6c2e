"""Warnings gathered per thread (scientist.gathered): a web job's warnings and Pillow's words on the photo being
read are gathered by one hook, however often the two are used in turn."""

from __future__ import annotations

import threading
import warnings

import numpy as np
from PIL import Image


def test_gatherings_used_in_turn_install_one_hook(tmp_path):
    """A web job gathers the package's warnings and reads its photo, which gathers Pillow's: each kind once
    installed a hook of its own wrapping the other's, two more layers per job, until a warning overflowed the
    stack."""
    from scientist.gathered import package_warnings as caught_warnings
    from scientist.restore.photo import read_photo

    path = tmp_path / "p.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(path)
    hooks = set()
    for _ in range(20):
        with caught_warnings():
            read_photo(path)
        hooks.add(warnings.showwarning)
    assert len(hooks) == 1


def test_a_warning_goes_to_the_innermost_gathering_that_takes_it_on_its_own_thread():
    from scientist.gathered import gathered

    def words(message, category, filename):
        return str(message)

    def only_b(message, category, filename):
        return str(message) if str(message).startswith("b") else None

    seen = {}

    def other_thread():
        with gathered(words) as mine:
            warnings.warn("c: the other thread's", UserWarning, stacklevel=1)
        seen["other"] = mine

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        with gathered(words) as outer:
            with gathered(only_b) as inner:
                warnings.warn("a: not the inner's", UserWarning, stacklevel=1)
                warnings.warn("b: the inner's", UserWarning, stacklevel=1)
                t = threading.Thread(target=other_thread)
                t.start()
                t.join()
    assert inner == ["b: the inner's"] and outer == ["a: not the inner's"]
    assert seen["other"] == ["c: the other thread's"]
