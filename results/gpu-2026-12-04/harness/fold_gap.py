"""How far a norm-folded copy of the paper's X101-64x4d teacher backbone is
from the original on the GPU, with cuDNN's TF32 on (torch's default) and
off: max |folded - original| / max |original| per output level. Random
weights, with random batch-norm statistics and affine parameters so that the
folding is not the identity."""
import copy

import torch
from mmcv.cnn import fuse_conv_bn
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import DefaultScope

import mmrazor_amd  # noqa: F401

from mmrazor_amd.benchmark.setting import config_file
cfg = Config.fromfile(
    config_file('mmdet::retinanet/retinanet_x101-64x4d_fpn_2x_coco.py'))
backbone_cfg = cfg.model.backbone
backbone_cfg.pop('init_cfg', None)
torch.manual_seed(0)
with DefaultScope.overwrite_default_scope('mmdet'):
    backbone = MODELS.build(backbone_cfg)
with torch.no_grad():
    for m in backbone.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.2, 0.2)
device = 'cuda' if torch.cuda.is_available() else 'cpu'
backbone.to(device)
backbone.eval()  # (mmdet's ResNet.train returns None: no chaining)
folded = fuse_conv_bn(copy.deepcopy(backbone))
folded.eval()
images = torch.randn(2, 3, 512, 512, generator=torch.Generator().manual_seed(1)).to(device)
cudnn = torch.backends.cudnn
for tf32 in (True, False):
    with torch.no_grad(), cudnn.flags(enabled=True, benchmark=False,
                                      deterministic=False, allow_tf32=tf32):
        want, got = backbone(images), folded(images)
        gaps = [float((g - w).abs().max() / w.abs().max())
                for w, g in zip(want, got)]
    print(f'cudnn allow_tf32={tf32}: relative gap per level',
          ' '.join(f'{g:.2e}' for g in gaps))
