"""Stand-in for mmcv's compiled ops on a GPU machine that has torch but no
mmcv build (the device check of mmrazor_amd; never installed for users).

Implements, in PyTorch, the two ops that a RetinaNet training and test step
calls: ``sigmoid_focal_loss_forward/backward`` (mmdet's FocalLoss on CUDA)
and ``nms`` (mmdet's batched_nms). Every other op raises, naming itself.
"""
import torch
import torch.nn.functional as F


def _focal(logits, target, weight, gamma, alpha):
    classes = logits.size(1)
    # target == classes is background: no column is positive
    positive = F.one_hot(target, classes + 1)[:, :classes].to(logits.dtype)
    p = logits.sigmoid()
    pos = -alpha * (1 - p).pow(gamma) * F.logsigmoid(logits)
    neg = -(1 - alpha) * p.pow(gamma) * F.logsigmoid(-logits)
    out = positive * pos + (1 - positive) * neg
    if weight.numel():
        out = out * weight[target.clamp(max=classes - 1)].unsqueeze(1)
    return out


def sigmoid_focal_loss_forward(input, target, weight, output, gamma, alpha):
    output.copy_(_focal(input, target, weight, gamma, alpha))


def sigmoid_focal_loss_backward(input, target, weight, grad_input, gamma,
                                alpha):
    with torch.enable_grad():
        x = input.detach().requires_grad_()
        out = _focal(x, target, weight, gamma, alpha)
        (grad, ) = torch.autograd.grad(out.sum(), x)
    grad_input.copy_(grad)


def _greedy_nms(boxes, scores, iou_threshold):
    order = scores.argsort(descending=True)
    boxes = boxes[order]
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    lt = torch.max(boxes[:, None, :2], boxes[None, :, :2])
    rb = torch.min(boxes[:, None, 2:], boxes[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    iou = inter / (area[:, None] + area[None, :] - inter)
    suppressed = torch.zeros(len(boxes), dtype=torch.bool,
                             device=boxes.device)
    keep = []
    for i in range(len(boxes)):
        if not suppressed[i]:
            keep.append(i)
            suppressed |= iou[i] > iou_threshold
    return order[torch.tensor(keep, dtype=torch.long, device=boxes.device)]


def nms(bboxes, scores, iou_threshold, offset):
    if offset:
        bboxes = torch.cat([bboxes[:, :2], bboxes[:, 2:] + offset], dim=1)
    try:
        import torchvision
    except ImportError:
        return _greedy_nms(bboxes, scores, iou_threshold)
    return torchvision.ops.nms(bboxes.float(), scores.float(), iou_threshold)


def __getattr__(name):
    if name.startswith('__'):
        raise AttributeError(name)

    def missing(*args, **kwargs):
        raise NotImplementedError(
            f'mmcv op {name}: not in the stand-in for mmcv\'s compiled ops')

    return missing
