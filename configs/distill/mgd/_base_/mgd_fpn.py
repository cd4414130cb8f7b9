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
# The loss of each setting: the one-stage COCO settings take the values
# above; Faster R-CNN takes MGD's two-stage values (alpha 5e-7, ratio 0.45);
# the embedded settings have 64-channel FPNs (their DistillBalanceHook
# calibrates the weight; `embedded_cascade`, the two-stage one, keeps the
# two-stage ratio).
mgd_losses = dict(
    retina=mgd_loss,
    reppoints=mgd_loss,
    cascade=dict(mgd_loss, alpha_mgd=5e-7, lambda_mgd=0.45),
    embedded=dict(mgd_loss, student_channels=64, teacher_channels=64),
    embedded_cascade=dict(
        mgd_loss, student_channels=64, teacher_channels=64, alpha_mgd=5e-7,
        lambda_mgd=0.45))
mgd_distillers = {
    kind: dict(mgd_distiller, distill_losses=dict(loss_mgd=loss))
    for kind, loss in mgd_losses.items()
}
