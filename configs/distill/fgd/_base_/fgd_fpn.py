# FGD (mmrazor_amd's FGDLoss) on the FPN levels recorded by the setting's
# `fpn` recorders. FGD also needs the ground-truth boxes and image shapes:
# the setting's `gt_recorder` (a MethodInputs recorder on its student
# detector's `loss`) delivers its `batch_data_samples` (argument 1).
# Defaults are the official RetinaNet hyper-parameters; the other settings
# override them.
fgd_loss = dict(
    type='FGDLoss',
    student_channels=256,
    teacher_channels=256,
    num_levels=5,
    alpha_fgd=1e-3,
    beta_fgd=5e-4,
    gamma_fgd=5e-4,
    lambda_fgd=5e-6,
    temp=0.5,
    box_scale='img_shape')  # as the official code; or 'batch_input_shape'

fgd_distiller = dict(
    distill_losses=dict(loss_fgd=fgd_loss),
    loss_forward_mappings=dict(
        loss_fgd=dict(
            preds_S=dict(from_student=True, recorder='fpn'),
            preds_T=dict(from_student=False, recorder='fpn'),
            data_samples=dict(from_student=True, recorder='gt', data_idx=1))))
# The loss of each setting: the official FGD hyper-parameters of its
# detectors (RetinaNet: the values above); the embedded settings have
# 64-channel FPNs and DistillBalanceHook scales the four weights together,
# so only their ratios count (`embedded_cascade`: the two-stage ones).
fgd_losses = dict(
    retina=fgd_loss,
    reppoints=dict(fgd_loss, alpha_fgd=1.6e-3, beta_fgd=8e-4, gamma_fgd=8e-4,
                   lambda_fgd=8e-6),
    cascade=dict(fgd_loss, alpha_fgd=5e-5, beta_fgd=2.5e-5, gamma_fgd=5e-5,
                 lambda_fgd=5e-7),
    embedded=dict(fgd_loss, student_channels=64, teacher_channels=64),
    embedded_cascade=dict(
        fgd_loss, student_channels=64, teacher_channels=64, alpha_fgd=5e-5,
        beta_fgd=2.5e-5, gamma_fgd=5e-5, lambda_fgd=5e-7))
fgd_distillers = {
    kind: dict(fgd_distiller, distill_losses=dict(loss_fgd=loss))
    for kind, loss in fgd_losses.items()
}
