"""On the GPU: the stand-in's focal loss against mmdet's pure-PyTorch focal
loss (float64) through mmcv's SigmoidFocalLossFunction, and torchvision's NMS
(what the stand-in uses) against the stand-in's greedy NMS."""
import torch
import torch.nn.functional as F
from mmcv.ops import sigmoid_focal_loss
from mmcv import _ext
from mmdet.models.losses.focal_loss import py_sigmoid_focal_loss

g = torch.Generator().manual_seed(0)
n, c = 3000, 80
x = (torch.randn(n, c, generator=g, dtype=torch.float64) * 3).cuda()
t = torch.randint(0, c + 1, (n, ), generator=g).cuda()
a = x.clone().requires_grad_()
got = sigmoid_focal_loss(a, t, 2.0, 0.25, None, 'none')
got.sum().backward()
b = x.clone().requires_grad_()
want = py_sigmoid_focal_loss(b, F.one_hot(t, c + 1)[:, :c].double(),
                             reduction='none')
want.sum().backward()
print('focal forward max error', float((got - want).abs().max()),
      'backward', float((a.grad - b.grad).abs().max()))
assert torch.allclose(got, want, atol=1e-12)
assert torch.allclose(a.grad, b.grad, atol=1e-12)
for trial in range(10):
    xy = torch.rand(2000, 2, generator=g) * 500
    boxes = torch.cat([xy, xy + torch.rand(2000, 2, generator=g) * 100 + 1],
                      1).cuda()
    scores = torch.rand(2000, generator=g).cuda()
    fast = _ext.nms(boxes, scores, iou_threshold=0.5, offset=0)
    greedy = _ext._greedy_nms(boxes, scores, 0.5)
    assert torch.equal(fast.long(), greedy.long()), trial
print('nms: torchvision equals greedy on 10 problems of 2000 boxes')
