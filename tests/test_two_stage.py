"""The embedded two-stage pair (Cascade R-CNN R50-mini -> Faster R-CNN
R18-mini): the same FPN levels on both, the RoI budget the configs choose,
and the cost script's variants that change it. (Every config's one
training step: test_configs.py.)"""
import mmrazor_amd  # noqa: F401
import pytest
from conftest import ROOT
from mmengine.config import Config

from mmrazor_amd_bench.commands.benchmark_two_stage import (DETECTORS,
                                                            parse_variant,
                                                            with_roi_budget)

TEACHER = f'{ROOT}/configs/embedded/cascade-rcnn_r50-mini_fpn_synthetic.py'
STUDENT = f'{ROOT}/configs/embedded/faster-rcnn_r18-mini_fpn_synthetic.py'


def rcnn_stages(detector):
    rcnn = detector.train_cfg.rcnn
    return rcnn if isinstance(rcnn, list) else [rcnn]


def test_teacher_and_student_give_p2_to_p6_with_64_channels():
    teacher = Config.fromfile(TEACHER).model
    student = Config.fromfile(STUDENT).model
    assert (teacher.type, student.type) == ('CascadeRCNN', 'FasterRCNN')
    assert teacher.backbone.depth == 50 and student.backbone.depth == 18
    for model, c2 in ((teacher, 128), (student, 32)):
        assert model.backbone.out_indices == (0, 1, 2, 3)
        assert model.neck.in_channels[0] == c2
        assert model.neck.out_channels == 64 and model.neck.num_outs == 5
        assert model.neck.get('start_level', 0) == 0
        assert not model.neck.get('add_extra_convs', False)  # P6: max pool
        assert model.rpn_head.anchor_generator.strides == [4, 8, 16, 32, 64]
        assert model.roi_head.bbox_roi_extractor.featmap_strides == [
            4, 8, 16, 32]
        # RoIs by size at half mmdet's scale, as the anchors
        assert model.roi_head.bbox_roi_extractor.finest_scale == 28
        assert model.rpn_head.anchor_generator.scales == [4]
        assert [s.sampler.num for s in rcnn_stages(model)] == \
            [128] * (3 if model is teacher else 1)
        assert model.train_cfg.rpn_proposal.max_per_img == 300
        assert model.test_cfg.rpn.max_per_img == 300
    assert [s.assigner.pos_iou_thr for s in rcnn_stages(teacher)] == [
        0.5, 0.6, 0.7]


@pytest.mark.parametrize('name', list(DETECTORS))
def test_the_cost_script_sets_the_budget_of_the_trained_detector(name):
    cfg = Config.fromfile(f'{ROOT}/{DETECTORS[name]}')
    changed = with_roi_budget(cfg, *parse_variant('64:2000'))
    detector = changed.model.get('architecture', changed.model)
    assert all(s.sampler.num == 64 for s in rcnn_stages(detector))
    assert detector.train_cfg.rpn_proposal.max_per_img == 2000
    assert detector.train_cfg.rpn_proposal.nms_pre == 2000
    # the config itself is left as it is
    original = cfg.model.get('architecture', cfg.model)
    assert all(s.sampler.num == 128 for s in rcnn_stages(original))
