"""The image of a figure: its ground-truth boxes and the test pipeline."""
import contextlib
import io
from dataclasses import dataclass
from typing import Dict, Optional

import numpy as np
import torch
from mmengine.registry import DefaultScope
from torch import Tensor


def read_gt_boxes(ann_file: str) -> Dict[str, np.ndarray]:
    """File name -> ground-truth boxes ``(K, 4)`` float32 xyxy, crowd boxes
    left out, from a COCO annotation file (``pycocotools``)."""
    from pycocotools.coco import COCO
    with contextlib.redirect_stdout(io.StringIO()):  # its progress prints
        coco = COCO(ann_file)
    boxes = {}
    for image_id, image in coco.imgs.items():
        xywh = [ann['bbox'] for ann in coco.imgToAnns[image_id]
                if not ann.get('iscrowd', 0)]
        xyxy = np.asarray(xywh, dtype=np.float32).reshape(-1, 4)
        xyxy[:, 2:] += xyxy[:, :2]
        boxes[image['file_name']] = xyxy
    return boxes


def build_test_pipeline(cfg):
    """The test pipeline of ``cfg``, built as ``mmdet.apis.inference_detector``
    builds it (``get_test_pipeline_cfg`` + ``mmcv.transforms.Compose``).

    Its ``LoadAnnotations`` finds no ``instances`` and loads no box: the boxes
    drawn are given to :func:`load_image`.
    """
    from mmcv.transforms import Compose
    from mmdet.utils import get_test_pipeline_cfg
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope',
                                                      'mmdet')):
        return Compose(get_test_pipeline_cfg(cfg))


@dataclass
class Sample:
    """One image through the test pipeline."""
    path: str
    inputs: Tensor  # (3, H, W) uint8, BGR, resized as the test pipeline
    data_sample: object  # mmdet DetDataSample (metainfo only)
    boxes: np.ndarray  # (K, 4) xyxy gt boxes in ``inputs``' pixels

    @property
    def rgb(self) -> np.ndarray:
        """``(H, W, 3)`` uint8 RGB."""
        return self.inputs.flip(0).permute(1, 2, 0).cpu().numpy()


def load_image(path: str, pipeline,
               boxes: Optional[np.ndarray] = None) -> Sample:
    """Run ``pipeline`` on ``path``; ``boxes`` ``(K, 4)`` xyxy in the
    original pixels are scaled with the image (its ``scale_factor``)."""
    from mmdet.structures.bbox import scale_boxes
    data = pipeline(dict(img_path=path, img_id=0))
    sample = data['data_samples']
    scale = sample.metainfo.get('scale_factor', (1.0, 1.0))
    if boxes is None:
        boxes = np.zeros((0, 4), dtype=np.float32)
    boxes = torch.as_tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    return Sample(path, data['inputs'], sample,
                  scale_boxes(boxes, scale).numpy())
