"""MGD and FGD resumed with ``--resume`` end exactly like a run that was
never stopped (AMD, killed mid-run: ``test_resume.py``).

What a resume must bring back differs by method: MGD draws a random mask
at every step from the global generator (RNGStateHook's state in the
checkpoint), FGD trains context modules of its own in the distiller
(their weights and their optimizer state). The tiny config trains 3
epochs of 4 steps with a checkpoint every epoch; the resumed run starts
from the uninterrupted run's epoch-1 checkpoint. On the CPU every step is
deterministic, so losses and weights must be equal, not close.
"""
import pytest
import torch

from test_distill_balance import rows, train

KEEP = ('default_hooks.checkpoint.max_keep_ckpts=-1', )


@pytest.mark.slow
@pytest.mark.parametrize('method', ['mgd', 'fgd'])
def test_resumed_run_ends_like_an_uninterrupted_one(method, synthetic_tiny,
                                                    tmp_path):
    reference, resumed = tmp_path / 'reference', tmp_path / 'resumed'
    train(reference, synthetic_tiny, *KEEP, method=method)
    log = train(resumed, synthetic_tiny, *KEEP,
                f'load_from={reference / "epoch_1.pth"}', method=method,
                resume=True)
    assert 'resumed epoch: 1, iter: 4' in log
    expected = rows(reference / 'losses_rank0.jsonl')
    actual = rows(resumed / 'losses_rank0.jsonl')
    assert [r['iter'] for r in actual] == list(range(4, 12))
    assert actual == expected[4:]
    final = torch.load(str(resumed / 'final_rank0.pt'), weights_only=True)
    reference_final = torch.load(str(reference / 'final_rank0.pt'),
                                 weights_only=True)
    assert final.keys() == reference_final.keys()
    own = [k for k in final if k.startswith('distiller.')]
    assert own  # MGD's connectors, FGD's context modules
    initial = torch.load(str(reference / 'initial_rank0.pt'),
                         weights_only=True)
    assert any(not torch.equal(final[k], initial[k]) for k in own)
    assert [k for k in final
            if not torch.equal(final[k], reference_final[k])] == []
