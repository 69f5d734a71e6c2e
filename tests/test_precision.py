"""Reduced precision: which path a machine gets, and the accuracy contract against fp32 (runs on any CPU)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from scientist.errors import ScientistError
from scientist.restore.blend import restore_array
from scientist.restore.precision import choose_precision, cpu_bf16_native
from scientist.restore.runners import make_runner
from scientist.restore.tiles import BYTES_PER_PIXEL, CPU_MAX_TILE_PIXELS, plan_tiles, tile_pixels, tile_pixels_for
from scientist.restore.weights import load_model

CPU, CUDA = torch.device("cpu"), torch.device("cuda")


def test_choice_follows_the_hardware_and_refuses_fp16_on_cpu(monkeypatch):
    import scientist.restore.precision as precision

    assert choose_precision("fp32", CPU) == "fp32" and choose_precision("bf16", CPU) == "bf16"
    monkeypatch.setattr(precision, "cpu_bf16_native", lambda: True)
    assert choose_precision("auto", CPU) == "bf16"
    # the onnx back end runs fp32 only and eager is the fp32 reference: auto picks fp32 for them
    assert choose_precision("auto", CPU, "onnx") == "fp32" and choose_precision("auto", CPU, "eager") == "fp32"
    assert choose_precision("auto", CPU, "torch") == "bf16" and choose_precision("bf16", CPU, "eager") == "bf16"
    monkeypatch.setattr(precision, "cpu_bf16_native", lambda: False)
    assert choose_precision("auto", CPU) == "fp32"
    assert choose_precision("auto", CUDA) == "fp16" and choose_precision("bf16", CUDA) == "bf16"
    # on CUDA too: the onnx back end (PyTorch there) and the eager reference stay fp32 unless asked
    assert choose_precision("auto", CUDA, "onnx") == "fp32" == choose_precision("auto", CUDA, "eager")
    with pytest.raises(ScientistError, match="CUDA device only"):
        choose_precision("fp16", CPU)
    with pytest.raises(ScientistError, match="unknown precision"):
        choose_precision("int8", CPU)


@pytest.mark.parametrize("caps,onednn,native", [
    ({"avx512_bf16": True}, True, True), ({"amx_bf16": True}, True, True),
    ({"avx512_bf16": False, "amx_bf16": False}, True, False), ({"avx512_bf16": True}, False, False)])
def test_native_bf16_needs_the_cpu_and_onednn(monkeypatch, caps, onednn, native):
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: caps)
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: onednn)
    monkeypatch.setattr(torch.backends.mkldnn, "is_available", lambda: True)
    assert cpu_bf16_native() is native


def test_bf16_runs_in_pytorch_only_and_plans_bigger_tiles():
    model = load_model().model
    with pytest.raises(ScientistError, match="fp32 only"):
        make_runner(model, CPU, "onnx", precision="bf16")
    runner = make_runner(model, CPU, "auto", precision="bf16")
    assert runner.name == "torch-bf16-channels-last" and runner.precision == "bf16"
    assert next(runner.model.parameters()).dtype == torch.bfloat16
    assert next(model.parameters()).dtype == torch.float32  # the shared model is left alone
    assert BYTES_PER_PIXEL["bf16"] < BYTES_PER_PIXEL["fp32"]
    # the converted copy is made once per model, not once per photo of a batch
    assert make_runner(model, CPU, "auto", precision="bf16") is runner
    assert make_runner(model, CPU, "torch", precision="fp32") is not runner
    assert plan_tiles(720, 1280, max_pixels=tile_pixels_for(768, "bf16")).count < \
        plan_tiles(720, 1280, max_pixels=tile_pixels_for(768, "fp32")).count


def test_cpu_bf16_tiles_are_capped_where_larger_ones_run_slower_and_gpus_are_not():
    cap = CPU_MAX_TILE_PIXELS["bf16"]
    assert tile_pixels(768, "bf16", "cpu") == cap < tile_pixels_for(768, "bf16")
    assert tile_pixels(768, "bf16", "cuda") == tile_pixels_for(768, "bf16")
    assert tile_pixels(768, "fp32", "cpu") == tile_pixels_for(768, "fp32")  # memory is the limit there
    assert tile_pixels(100, "bf16", "cpu") == tile_pixels_for(100, "bf16")  # and a small budget still rules
    plan = plan_tiles(3000, 4000, max_pixels=tile_pixels(768, "bf16", "cpu"))
    assert plan.tile_h * plan.tile_w <= cap


@pytest.mark.slow  # runs the bundled network
def test_bf16_output_is_within_2_of_255_of_fp32_on_a_real_photo():
    """The accuracy contract: 8-bit outputs differ by at most 2/255 and PSNR between them is >= 50 dB."""
    from sklearn.datasets import load_sample_image

    from scientist.restore.degrade import STRENGTHS, apply_gain, degrade

    clean = load_sample_image("flower.jpg")[150:278, 250:378].astype(np.float32) / 255
    params = STRENGTHS["medium"]
    img = apply_gain(degrade(clean, params, np.random.default_rng(0)), 0.9 / params.exposure)
    model = load_model().model
    plan = plan_tiles(*img.shape[:2])
    outputs = {p: restore_array(model, img, plan=plan, runner=make_runner(model, CPU, "torch", precision=p))
               for p in ("fp32", "bf16")}
    u8 = {p: np.rint(o * 255).astype(np.int16) for p, o in outputs.items()}
    diff = np.abs(u8["fp32"] - u8["bf16"])
    mse = float(np.mean(((u8["fp32"] - u8["bf16"]) / 255.0) ** 2))
    psnr = 10 * np.log10(1 / max(mse, 1e-12))
    assert diff.max() <= 2, diff.max()
    assert psnr >= 50, psnr


def test_bf16_keeps_the_inputs_own_precision_where_the_network_changes_nothing():
    """bfloat16 rounds a value near 1 to 1/256; the full-scale residual is added to the float32 input, so a
    16-bit photo's smooth gradient is not made a staircase (a network that changes nothing returns its input)."""
    from scientist.restore.mimo_unet import MIMOUNet

    torch.manual_seed(0)
    model = MIMOUNet(num_res=1).eval()
    last = model.feat_extract[5]
    for p in last.parameters():
        torch.nn.init.zeros_(p)
    ramp = np.linspace(0.55, 0.75, 64, dtype=np.float32)
    x = np.broadcast_to(ramp, (1, 3, 32, 64)).copy()
    out = make_runner(model, CPU, "torch", precision="bf16")(x)
    assert np.array_equal(out, x)  # bfloat16 all through: up to 1/512 off, in steps of 1/256
