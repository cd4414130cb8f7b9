# MGD with MMRazor's stock MGDConnector and MGDLoss, one pair per FPN level,
# reading the same `fpn` recorders as AMD (level i = element i of the neck's
# output tuple). One-stage values; two-stage configs override alpha/lambda.
num_levels = 5

mgd_distiller = dict(
    connectors={
        f's_fpn{i}_connector': dict(
            type='MGDConnector',
            student_channels=256,
            teacher_channels=256,
            lambda_mgd=0.65)
        for i in range(num_levels)
    },
    distill_losses={
        f'loss_mgd_fpn{i}': dict(type='MGDLoss', alpha_mgd=2e-5)
        for i in range(num_levels)
    },
    loss_forward_mappings={
        f'loss_mgd_fpn{i}': dict(
            preds_S=dict(
                from_student=True,
                recorder='fpn',
                data_idx=i,
                connector=f's_fpn{i}_connector'),
            preds_T=dict(from_student=False, recorder='fpn', data_idx=i))
        for i in range(num_levels)
    })
