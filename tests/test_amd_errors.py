"""AMD's modules name the cause of a bad input or argument, and build
from MMRazor's registry under either default scope."""
import mmrazor_amd  # noqa: F401  (torch 2.x fixes before mmrazor; registers)
import pytest
import torch
from amd_reference import (_seed_global_rng,  # noqa: F401
                           adaptive, clue, generation, make_features)
from mmrazor.registry import MODELS

from mmrazor_amd.models.architectures import AdaptiveMasker, RandomMasker
from mmrazor_amd.models.losses import AMDLoss


# ------------------------------------------------------------ bad inputs


def test_bad_inputs_are_named():
    loss_fn = AMDLoss(8, 16, num_levels=3, clue=clue(4))
    students, teachers = make_features(2, 8, 16)
    with pytest.raises(ValueError, match='expected 3 student .*got 2'):
        loss_fn(students[:2], teachers)
    with pytest.raises(ValueError, match='expected 3 teacher .*got 1'):
        loss_fn(students, teachers[0])
    bad = list(teachers)
    bad[1] = torch.randn(2, 16, 5, 4)
    with pytest.raises(ValueError, match='level 1: spatial sizes differ'):
        loss_fn(students, bad)
    bad = list(students)
    bad[2] = torch.randn(2, 16, 1, 1)
    with pytest.raises(ValueError,
                       match='level 2: student has 16 channels'):
        loss_fn(bad, teachers)
    bad = list(teachers)
    bad[0] = torch.randn(2, 8, 9, 7)
    with pytest.raises(ValueError,
                       match='level 0: teacher has 8 channels'):
        loss_fn(students, bad)
    bad = list(teachers)
    bad[0] = torch.randn(3, 16, 9, 7)
    with pytest.raises(ValueError, match='level 0: batch sizes differ'):
        loss_fn(students, bad)
    bad = list(students)
    bad[1] = bad[1][0]
    with pytest.raises(TypeError, match='level 1: student .*4-d'):
        loss_fn(bad, teachers)
    with pytest.raises(TypeError, match='student features'):
        loss_fn({'a': 1}, teachers)


@pytest.mark.parametrize('kwargs,error,match', [
    (dict(masker=adaptive(-0.1)), ValueError, 'phi=-0.1'),
    (dict(masker=adaptive(float('nan'))), ValueError, 'phi'),
    (dict(masker=adaptive(1.0, 0.0)), ValueError, 'tau=0.0'),
    (dict(masker=adaptive(1.0, -1)), ValueError, 'tau'),
    (dict(masker=dict(type='NoSuchMasker')), KeyError, 'NoSuchMasker'),
    (dict(generation=generation('conv')), ValueError,
     "unknown generation variant 'conv'.*dense_x2.*mbconv"),
    (dict(generation=generation(clue_position='before')), ValueError,
     "clue_position 'before'"),
    (dict(num_levels=0), ValueError, 'num_levels'),
    (dict(student_channels=0), ValueError, 'student_channels'),
    (dict(loss_weight=-1.0), ValueError, 'loss_weight'),
    (dict(masker=dict(type='RandomMasker', ratio=1.5)), ValueError,
     'ratio'),
    (dict(teacher_channels=8, clue=clue(16)), ValueError, 'SE ratio 16'),
])
def test_bad_arguments_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        AMDLoss(**kwargs)


def test_masker_argument_errors():
    with pytest.raises(ValueError, match='phi'):
        AdaptiveMasker(phi=-1)
    with pytest.raises(ValueError, match='tau'):
        AdaptiveMasker(tau=0)
    with pytest.raises(TypeError, match='phi'):
        AdaptiveMasker(phi='1')
    with pytest.raises(ValueError, match='ratio'):
        RandomMasker(-0.1)
    with pytest.raises(TypeError, match='N, C, H, W'):
        AdaptiveMasker()(torch.randn(4, 5, 6))


# ---------------------------------------------------------------- registry


def test_build_from_registry():
    """Also under mmdet's default scope (an mmdet runner, or another test,
    may have set it): configs name the loss ``mmrazor.AMDLoss`` there, and
    its sub-configs (``AdaptiveMasker``...) resolve in MMRazor's registry."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmdet'):
        scoped = MODELS.build(dict(type='mmrazor.AMDLoss', num_levels=1))
    assert isinstance(scoped.masker, AdaptiveMasker)
    assert scoped.generations[0].clue is not None
    with DefaultScope.overwrite_default_scope('mmrazor'):
        check_builds()


def check_builds():
    loss_fn = MODELS.build(
        dict(type='AMDLoss', student_channels=8, teacher_channels=16,
             num_levels=2, loss_weight=5e-7,
             clue=dict(type='ChannelClue', ratio=4),
             generation=dict(type='GenerationBlock',
                             clue_position='within')))
    assert isinstance(loss_fn, AMDLoss)
    assert len(loss_fn.generations) == 2 and len(loss_fn.aligns) == 2
    assert loss_fn.loss_weight == 5e-7
    assert isinstance(MODELS.build(dict(type='AdaptiveMasker', phi=2.0)),
                      AdaptiveMasker)
    assert isinstance(MODELS.build(dict(type='RandomMasker', ratio=0.5)),
                      RandomMasker)
    default = MODELS.build(dict(type='AMDLoss'))
    assert default.aligns is None and len(default.generations) == 5
    assert isinstance(default.masker, AdaptiveMasker)
    assert default.masker.phi == 1.0 and default.masker.tau == 0.5
