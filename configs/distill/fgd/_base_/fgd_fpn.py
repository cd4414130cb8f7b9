# FGD (mmrazor_amd's FGDLoss) on the FPN levels recorded by the setting's
# `fpn` recorders. FGD also needs the ground-truth boxes and image shapes:
# a MethodInputs recorder on the student detector's `loss` delivers its
# `batch_data_samples` (argument 1). Defaults are the official RetinaNet
# hyper-parameters; the other settings override them.
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

fgd_forward_mappings = dict(
    loss_fgd=dict(
        preds_S=dict(from_student=True, recorder='fpn'),
        preds_T=dict(from_student=False, recorder='fpn'),
        data_samples=dict(from_student=True, recorder='gt', data_idx=1)))

one_stage_gt_recorder = dict(
    type='MethodInputs',
    source='mmdet.models.detectors.SingleStageDetector.loss')
two_stage_gt_recorder = dict(
    type='MethodInputs', source='mmdet.models.detectors.TwoStageDetector.loss')
