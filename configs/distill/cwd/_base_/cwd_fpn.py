# CWD with MMRazor's registered ChannelWiseDivergence, as it is: one loss per
# level of the FPN recorded by the setting's `fpn` recorders (`loss_cwd_fpn<i>`
# reads element i of the neck's output tuple of student and teacher). Each
# level turns every channel of both maps into a softmax over its H*W
# positions (temperature tau) and takes KL(teacher || student), times
# tau^2 * loss_weight / (N*C) (configs/distill/cwd/README.md).
# The loss flattens each channel with `view`, which needs NCHW-contiguous
# maps; the `nchw` connector (ContiguousConnector) copies a channels-last map
# (the fast frozen teacher's) to that layout and passes any other as it is.
cwd_num_levels = 5
cwd_loss = dict(type='ChannelWiseDivergence', tau=1, loss_weight=10)

# The loss of each setting, per level: MMRazor's FPN value (tau 1, weight 10)
# everywhere; the embedded settings' DistillBalanceHook calibrates it.
cwd_losses = dict(
    retina=cwd_loss, reppoints=cwd_loss, cascade=cwd_loss, embedded=cwd_loss,
    embedded_cascade=cwd_loss)
cwd_mappings = {
    f'loss_cwd_fpn{i}': dict(
        preds_S=dict(
            from_student=True, recorder='fpn', data_idx=i, connector='nchw'),
        preds_T=dict(
            from_student=False, recorder='fpn', data_idx=i, connector='nchw'))
    for i in range(cwd_num_levels)
}
cwd_distillers = {
    kind: dict(
        connectors=dict(nchw=dict(type='ContiguousConnector')),
        distill_losses={name: loss for name in cwd_mappings},
        loss_forward_mappings=cwd_mappings)
    for kind, loss in cwd_losses.items()
}
