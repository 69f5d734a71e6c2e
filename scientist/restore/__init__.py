"""Photo -> restored photo: the MIMO-UNet network, its weights, tiling and the demo run.

Nothing here depends on the question-answering side.  Submodules load torch;
this package itself does not, so ``scientist.restore.record`` stays light.
"""

from __future__ import annotations

__all__ = ["MIMOUNet", "MIMOUNetPlus", "build", "canonical_state_dict", "detect_variant"]


def __getattr__(name: str):
    if name in __all__:
        from . import mimo_unet

        return getattr(mimo_unet, name)
    raise AttributeError(f"module 'scientist.restore' has no attribute {name!r}")
