"""How much AMD's mask hides at each phi, measured on a setting's teacher."""
from typing import Dict, Sequence

import torch


def hidden_fractions(teacher_config: str, checkpoint: str, data_options,
                     phis: Sequence[float], tau: float = 0.5,
                     num_images: int = 64) -> Dict[float, float]:
    """Share of the teacher's FPN positions (all levels) whose attention
    (temperature ``tau``) exceeds each phi, over the first ``num_images``
    images of the config's test dataset after ``data_options``
    (``--cfg-options`` strings)."""
    from mmdet.apis import init_detector
    from mmdet.registry import DATASETS
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate

    from mmrazor_amd.models import AdaptiveMasker
    from mmrazor_amd.utils import register_all_modules
    from .setting import merge_cfg_options
    register_all_modules()
    cfg = merge_cfg_options(Config.fromfile(teacher_config), data_options)
    model = init_detector(cfg, checkpoint, device='cpu')
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    maskers = {phi: AdaptiveMasker(phi=phi, tau=tau) for phi in phis}
    counts = {phi: [0, 0] for phi in phis}
    stop = min(num_images, len(dataset))
    with torch.no_grad():
        for start in range(0, stop, 8):
            items = [dataset[i] for i in range(start, min(start + 8, stop))]
            data = model.data_preprocessor(pseudo_collate(items), False)
            for feature in model.extract_feat(data['inputs']):
                for phi, masker in maskers.items():
                    mask = masker(feature)
                    counts[phi][0] += int((mask == 0).sum())
                    counts[phi][1] += mask.numel()
    return {phi: hidden / total for phi, (hidden, total) in counts.items()}
