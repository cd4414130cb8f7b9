"""MultiLevelMGDLoss against MMRazor's stock MGD set-up.

The stock set-up is one ``MGDConnector`` and one ``MGDLoss`` per level in a
``ConfigurableDistiller``, called in level order. With the same weights and
the same random generator, the multi-level loss must give exactly its value
and its gradients (same modules, same order of random draws).
"""
import mmrazor_amd  # noqa: F401  (torch 2.x fixes before mmrazor)
import pytest
import torch
from mmrazor.models.architectures.connectors import MGDConnector
from mmrazor.models.losses import MGDLoss

from mmrazor_amd.models import MultiLevelMGDLoss

SIZES = [(10, 8), (5, 4), (3, 2)]


def features(cs, ct, seed=3):
    gen = torch.Generator().manual_seed(seed)
    students = [torch.randn(2, cs, h, w, generator=gen).requires_grad_()
                for h, w in SIZES]
    teachers = [torch.randn(2, ct, h, w, generator=gen) for h, w in SIZES]
    return students, teachers


@pytest.mark.parametrize('cs,ct,alpha,ratio', [(8, 8, 2e-5, 0.65),
                                               (4, 8, 5e-7, 0.45)])
def test_equals_the_stock_per_level_modules(cs, ct, alpha, ratio):
    torch.manual_seed(0)
    ours = MultiLevelMGDLoss(
        student_channels=cs, teacher_channels=ct, num_levels=len(SIZES),
        alpha_mgd=alpha, lambda_mgd=ratio)
    stock_connectors = [MGDConnector(cs, ct, lambda_mgd=ratio)
                        for _ in SIZES]
    stock_losses = [MGDLoss(alpha_mgd=alpha) for _ in SIZES]
    for connector, mine in zip(stock_connectors, ours.connectors):
        connector.load_state_dict(mine.state_dict())

    students, teachers = features(cs, ct)
    torch.manual_seed(11)
    loss = ours(students, teachers)
    loss.backward()
    ours_grads = [s.grad.clone() for s in students]

    students, teachers = features(cs, ct)
    torch.manual_seed(11)
    stock = 0
    for connector, mgd, s, t in zip(stock_connectors, stock_losses,
                                    students, teachers):
        stock = stock + mgd(connector(s), t)
    stock.backward()
    assert torch.equal(loss.detach(), stock.detach())
    for mine, theirs in zip(ours_grads, students):
        assert torch.equal(mine, theirs.grad)
    for mine, theirs in zip(ours.connectors, stock_connectors):
        for (name, a), b in zip(mine.named_parameters(),
                                theirs.parameters()):
            assert torch.equal(a.grad, b.grad), name


def test_teacher_gets_no_gradient_and_levels_are_checked():
    loss_fn = MultiLevelMGDLoss(
        student_channels=8, teacher_channels=8, num_levels=len(SIZES))
    students, teachers = features(8, 8)
    teachers = [t.requires_grad_() for t in teachers]
    loss_fn(students, teachers).backward()
    assert all(t.grad is None for t in teachers)
    with pytest.raises(ValueError, match='expected 3 student'):
        loss_fn(students[:2], teachers)
    with pytest.raises(ValueError, match='lambda_mgd'):
        MultiLevelMGDLoss(lambda_mgd=1.5)
