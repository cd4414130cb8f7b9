"""Stop a distillation run whose student and teacher cannot be paired,
before its first step, with the cause (``check_distill_pair``)."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmrazor.registry import HOOKS

from ...models.utils.pair_check import check_distill_pair


@HOOKS.register_module()
class DistillPairCheckHook(Hook):
    """Check the distilled features of student and teacher before training.

    One forward of both detectors' backbone and neck on a random
    ``(1, 3, image_size, image_size)`` image (random generators kept), then
    the checks of
    :func:`mmrazor_amd.models.utils.pair_check.check_distill_pair`: the same
    FPN levels, strides and (unless a loss aligns them) channels.

    Args:
        image_size (int): side of the random image. Defaults to 288 (see
            ``check_distill_pair``).
    """

    priority = 'VERY_HIGH'

    def __init__(self, image_size: int = 288) -> None:
        self.image_size = image_size

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if not hasattr(model, 'teacher') or not hasattr(model, 'distiller'):
            return
        checked = check_distill_pair(model, self.image_size)
        if checked:
            runner.logger.info('student and teacher features fit the '
                               f'distillation losses: {", ".join(checked)}')
        else:
            runner.logger.warning(
                'pair_check: no distillation loss reads one student and one '
                'teacher record that the backbone and neck fill; nothing '
                'was checked')
