"""Running MIMO-UNet on photos: the network, weight loading, tiling and the demo."""

from .mimo_unet import MIMOUNet, MIMOUNetPlus, build, canonical_state_dict, detect_variant

__all__ = ["MIMOUNet", "MIMOUNetPlus", "build", "canonical_state_dict", "detect_variant"]
