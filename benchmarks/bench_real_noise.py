"""Real noise: does a restore keep texture (grass, fur) while it removes grain?  No clean original exists, so PSNR
cannot say; this script measures where the fine detail went.

Each photo of a folder (``--photos``, e.g. the RNI15 real-noise photos) is restored by ``scientist restore`` as it
ships (``run_demo``, default settings).  On the luminance, the fine detail is the high-pass (the image minus a
Gaussian blur of ``SIGMA`` px); the photo is cut into 16 x 16 blocks, and blocks are ranked by how much structure the
*smoothed* photo has there (its gradient energy after a 2 px blur, which noise hardly reaches): the top third are
"textured", the bottom third "flat".  Reported per photo:

- **texture kept**: median over textured blocks of the restored image's fine-detail energy / the photo's;
- **flat kept**: the same over flat blocks, where the fine detail is mostly grain;

A restore that paints texture flat has a low "texture kept"; one that removes grain a low "flat kept".
``--against DIR`` measures another version's outputs too (files ``<stem>_restored.png`` in DIR, e.g. written by
an earlier release's ``scientist restore FOLDER --out-dir DIR``), and ``--out-dir`` keeps ours for looking.

    python benchmarks/bench_real_noise.py --photos ../shared/photos/real-noise [--against DIR] [--out-dir DIR]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from scientist.restore.degrade import LUMA

SIGMA, BLOCK = 1.5, 16


def _luma(img: np.ndarray) -> np.ndarray:
    return img.astype(np.float64) @ LUMA


def blocks(a: np.ndarray) -> np.ndarray:
    """``a`` (2-D) cut into ``BLOCK`` x ``BLOCK`` blocks (the rows and columns past the last whole block left out):
    one row of ``BLOCK**2`` values per block, row by row."""
    h, w = a.shape[0] // BLOCK * BLOCK, a.shape[1] // BLOCK * BLOCK
    return a[:h, :w].reshape(h // BLOCK, BLOCK, w // BLOCK, BLOCK).transpose(0, 2, 1, 3).reshape(-1, BLOCK**2)


def _block_energy(a: np.ndarray) -> np.ndarray:
    h, w = a.shape[0] // BLOCK, a.shape[1] // BLOCK
    return (blocks(a) ** 2).mean(axis=1).reshape(h, w)


def texture_figures(photo: np.ndarray, restored: np.ndarray) -> dict[str, float]:
    """``texture_kept`` and ``flat_kept`` (see the module's text) for a photo and its restoration."""
    from scipy.ndimage import gaussian_filter, sobel

    y_in, y_out = _luma(photo), _luma(restored)
    fine_in = _block_energy(y_in - gaussian_filter(y_in, SIGMA))
    fine_out = _block_energy(y_out - gaussian_filter(y_out, SIGMA))
    smooth = gaussian_filter(y_in, 2.0)
    structure = _block_energy(np.hypot(sobel(smooth, 0), sobel(smooth, 1)))
    order = np.argsort(structure.ravel())
    third = max(1, len(order) // 3)
    ratio = (fine_out / np.maximum(fine_in, 1e-12)).ravel()
    return {"texture_kept": float(np.median(ratio[order[-third:]])),
            "flat_kept": float(np.median(ratio[order[:third]]))}


def _read(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), np.float32) / 255


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--photos", type=Path, required=True, help="folder of photos with real noise")
    ap.add_argument("--against", type=Path, default=None, help="another version's <stem>_restored.png files")
    ap.add_argument("--out-dir", type=Path, default=None, help="keep the restored images here")
    args = ap.parse_args()
    from scientist.restore.run import run_demo

    out_dir = args.out_dir or Path(tempfile.mkdtemp(prefix="scientist-real-noise-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    print(f"{'photo':22} {'gain':>5} {'strength':>8} {'noise':>6} | {'texture kept':>12} {'flat kept':>9}"
          + (" | against: texture, flat" if args.against else ""))
    for path in sorted(p for p in args.photos.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg")):
        demo = run_demo(path, outputs=(out_dir / f"{path.stem}_restored.png", out_dir / f"{path.stem}_compare.png"))
        photo = _read(path)
        row = {"photo": path.name, **texture_figures(photo, _read(Path(demo.output))), "gain": demo.gain,
               "strength": demo.strength, "noise": demo.noise_brightened}
        line = (f"{path.name:22} {demo.gain:5.2f} {demo.strength:8.2f} {demo.noise_brightened:6.2f} | "
                f"{row['texture_kept']:12.2f} {row['flat_kept']:9.2f}")
        other = args.against / f"{path.stem}_restored.png" if args.against else None
        if other is not None and other.is_file():
            theirs = texture_figures(photo, _read(other))
            row.update({f"against_{k}": v for k, v in theirs.items()})
            line += f" | {theirs['texture_kept']:.2f}, {theirs['flat_kept']:.2f}"
        rows.append(row)
        print(line, flush=True)
    for key in ("texture_kept", "flat_kept", "against_texture_kept", "against_flat_kept"):
        vals = [r[key] for r in rows if key in r]
        if vals:
            print(f"median {key}: {np.median(vals):.2f} (min {min(vals):.2f}, max {max(vals):.2f})")
    print(f"outputs in {out_dir}")


if __name__ == "__main__":
    main()
