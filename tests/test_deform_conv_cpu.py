"""The grid_sample deformable convolution against mmcv's own CPU kernel.

mmcv's compiled ``DeformConv2dFunction`` is the reference: it is what the
patch replaces on CPU tensors, so the two must agree in float64 on values
and on the gradients of input, offset and weight, offsets that leave the
map included.
"""
import os
import subprocess
import sys

import pytest
import torch
from mmcv.ops.deform_conv import DeformConv2dFunction

import mmrazor_amd  # noqa: F401  (applies the patch)
from mmrazor_amd.compat import deform_conv as patch
from mmrazor_amd.compat.deform_conv import sampled_deform_conv2d

# (input shape, out channels, kernel, stride, padding, dilation, groups,
#  deform groups)
CASES = {
    'reppoints-head': ((2, 8, 7, 6), 5, 3, 1, 1, 1, 1, 1),
    'stride-2': ((1, 4, 9, 8), 6, 3, 2, 1, 1, 1, 1),
    'dilation-2-no-pad': ((2, 4, 8, 9), 3, 3, 1, 0, 2, 1, 1),
    'groups-2': ((1, 8, 6, 6), 4, 3, 1, 1, 1, 2, 1),
    'deform-groups-2': ((2, 8, 5, 7), 4, 3, 1, 1, 1, 1, 2),
    'kernel-1x3': ((1, 3, 5, 6), 2, (1, 3), 1, (0, 1), 1, 1, 1),
}


def _inputs(shape, c_out, kernel, stride, padding, dilation, groups,
            deform_groups, spread, seed=0):
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    n, c, h, w = shape
    h_out = (h + 2 * ph - dilation * (kh - 1) - 1) // sh + 1
    w_out = (w + 2 * pw - dilation * (kw - 1) - 1) // sw + 1
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g, dtype=torch.float64)
    # non-integer offsets: bilinear sampling is not differentiable at
    # integer positions, where the two implementations may pick either side
    offset = (torch.rand((n, 2 * deform_groups * kh * kw, h_out, w_out),
                         generator=g, dtype=torch.float64) - 0.5) * spread
    offset = offset + 0.137
    weight = torch.randn((c_out, c // groups, kh, kw), generator=g,
                         dtype=torch.float64)
    return x, offset, weight


def _mmcv(x, offset, weight, stride, padding, dilation, groups,
          deform_groups):
    return DeformConv2dFunction.apply(x, offset, weight, stride, padding,
                                      dilation, groups, deform_groups, False,
                                      32)


@pytest.mark.parametrize('name', list(CASES))
@pytest.mark.parametrize('spread', [2.0, 30.0])
def test_values_and_gradients_match_mmcv_in_float64(name, spread):
    """spread 30: most taps sample outside the map, partly or wholly."""
    shape, c_out, kernel, stride, padding, dilation, groups, dg = CASES[name]
    args = (stride, padding, dilation, groups, dg)
    results = []
    for function in (_mmcv, sampled_deform_conv2d):
        x, offset, weight = (t.requires_grad_() for t in _inputs(
            shape, c_out, kernel, *args, spread=spread))
        out = function(x, offset, weight, *args)
        upstream = torch.linspace(-1, 1, out.numel(),
                                  dtype=torch.float64).view_as(out)
        (out * upstream).sum().backward()
        results.append((out.detach(), x.grad, offset.grad, weight.grad))
    (ref, *ref_grads), (got, *got_grads) = results
    assert got.shape == ref.shape
    torch.testing.assert_close(got, ref, rtol=1e-10, atol=1e-10)
    for label, a, b in zip(('input', 'offset', 'weight'), got_grads,
                           ref_grads):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9,
                                   msg=f'gradient of {label} differs')
    if spread == 30.0:  # the case does exercise samples outside the map
        assert (ref == 0).sum() < ref.numel()


def test_zero_offsets_are_a_plain_convolution():
    x, offset, weight = _inputs((2, 4, 6, 7), 3, 3, 1, 1, 1, 1, 1, 0.0)
    offset = torch.zeros_like(offset)
    expected = torch.nn.functional.conv2d(x, weight, padding=1)
    torch.testing.assert_close(
        sampled_deform_conv2d(x, offset, weight, 1, 1, 1, 1, 1), expected,
        rtol=1e-12, atol=1e-12)


def test_a_sample_wholly_outside_the_map_reads_zero():
    x = torch.ones(1, 1, 4, 4, dtype=torch.float64)
    weight = torch.ones(1, 1, 1, 1, dtype=torch.float64)
    offset = torch.zeros(1, 2, 4, 4, dtype=torch.float64)
    offset[:, 0] = -1.0  # one row up: the first row reads row -1
    out = sampled_deform_conv2d(x, offset, weight)[0, 0]
    torch.testing.assert_close(out[0], torch.zeros_like(out[0]),
                               rtol=0, atol=1e-12)
    torch.testing.assert_close(out[1:], torch.ones_like(out[1:]),
                               rtol=0, atol=1e-12)


def test_a_wrong_offset_shape_is_named():
    x, offset, weight = _inputs((1, 2, 5, 5), 2, 3, 1, 1, 1, 1, 1, 1.0)
    with pytest.raises(ValueError, match=r'offset has shape \(1, 18, 5, 5\)'
                       r'.*expected \(1, 36, 5, 5\)'):
        sampled_deform_conv2d(x, offset, weight, 1, 1, 1, 1, 2)


def test_mmcv_modules_use_it_on_cpu_and_keep_it_out_of_their_state():
    from mmcv.ops import DeformConv2d, DeformConv2dPack
    from mmcv.ops import deform_conv as module
    assert getattr(module.deform_conv2d, patch._PATCHED)
    torch.manual_seed(0)
    conv = DeformConv2d(4, 6, 3, padding=1)
    x = torch.randn(2, 4, 8, 8)
    offset = torch.randn(2, 18, 8, 8)
    expected = sampled_deform_conv2d(x, offset, conv.weight, 1, 1, 1, 1, 1)
    torch.testing.assert_close(conv(x, offset), expected)
    # a map smaller than the kernel is padded by the module, then sampled
    small = DeformConv2d(4, 6, 3, padding=1)
    assert small(x[:, :, :2, :2], offset[:, :, :2, :2]).shape == (2, 6, 2, 2)
    pack = DeformConv2dPack(4, 6, 3, padding=1)
    assert pack(x).shape == (2, 6, 8, 8)
    assert set(pack.state_dict()) == {'weight', 'conv_offset.weight',
                                      'conv_offset.bias'}


def test_mmcv_kernel_is_kept_for_narrow_maps_and_on_request(monkeypatch):
    x = torch.randn(1, 2, 1, 5)
    assert not patch.uses_sampled(x)  # grid_sample cannot normalise H = 1
    assert patch.uses_sampled(torch.randn(1, 2, 3, 3))
    monkeypatch.setenv(patch.KEEP_MMCV_ENV, '1')
    assert not patch.uses_sampled(torch.randn(1, 2, 3, 3))


def test_a_process_that_never_imports_mmrazor_amd_gets_it_from_the_hook():
    # as `mim train mmdet` runs the embedded RepPoints teacher
    code = ('import sys\n'
            'from mmcv.ops import DeformConv2d, deform_conv2d\n'
            'from mmcv.ops import deform_conv\n'
            'print(hasattr(deform_conv.deform_conv2d, "mmcv_deform_conv2d"),'
            ' deform_conv2d is deform_conv.deform_conv2d,'
            ' "mmrazor_amd" in sys.modules)\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, timeout=300, env=dict(os.environ))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ['True', 'True', 'False']
