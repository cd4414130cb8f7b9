# PKD with MMRazor's registered PKDLoss, as it is: one loss per level of the
# FPN recorded by the setting's `fpn` recorders (`loss_pkd_fpn<i>` reads
# element i of the neck's output tuple of student and teacher). Each level
# standardises every channel of both maps over N*H*W and takes half their
# mean squared difference, times `loss_weight` (configs/distill/pkd/README.md).
# MMRazor's PKD configs distil the first four levels; ours, like AMD, MGD and
# FGD here, all five.
pkd_num_levels = 5
pkd_loss = dict(type='PKDLoss', loss_weight=10)  # MMRazor's one-stage value

# The loss of each setting, per level: MMRazor's published weights, 10 for
# RetinaNet and RepPoints and 6 for Faster R-CNN; the embedded settings take
# the value of their family (their DistillBalanceHook calibrates it).
pkd_losses = dict(
    retina=pkd_loss,
    reppoints=pkd_loss,
    cascade=dict(pkd_loss, loss_weight=6),
    embedded=pkd_loss,
    embedded_cascade=dict(pkd_loss, loss_weight=6))
pkd_mappings = {
    f'loss_pkd_fpn{i}': dict(
        preds_S=dict(from_student=True, recorder='fpn', data_idx=i),
        preds_T=dict(from_student=False, recorder='fpn', data_idx=i))
    for i in range(pkd_num_levels)
}
pkd_distillers = {
    kind: dict(
        distill_losses={name: loss for name in pkd_mappings},
        loss_forward_mappings=pkd_mappings)
    for kind, loss in pkd_losses.items()
}
