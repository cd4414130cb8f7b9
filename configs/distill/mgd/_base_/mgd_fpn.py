# MGD with MMRazor's stock MGDConnector and MGDLoss on every level of the
# FPN recorded by the setting's `fpn` recorders, held by one
# MultiLevelMGDLoss (level i = element i of the neck's output tuple).
mgd_loss = dict(
    type='MultiLevelMGDLoss', student_channels=256, teacher_channels=256,
    num_levels=5, alpha_mgd=2e-5, lambda_mgd=0.65)

mgd_distiller = dict(
    distill_losses=dict(loss_mgd=mgd_loss),
    loss_forward_mappings=dict(
        loss_mgd=dict(
            preds_S=dict(from_student=True, recorder='fpn'),
            preds_T=dict(from_student=False, recorder='fpn'))))
# The loss of each kind of setting: one-stage COCO (the values above);
# two-stage COCO (MGD's Faster R-CNN values: alpha 5e-7, mask ratio 0.45);
# the embedded setting (64-channel FPNs, the weight calibrated by its
# DistillBalanceHook).
mgd_losses = dict(
    one_stage=mgd_loss,
    two_stage=dict(mgd_loss, alpha_mgd=5e-7, lambda_mgd=0.45),
    embedded=dict(mgd_loss, student_channels=64, teacher_channels=64))
mgd_distillers = {
    kind: dict(mgd_distiller, distill_losses=dict(loss_mgd=loss))
    for kind, loss in mgd_losses.items()
}
