# What every benchmark setting compares: the control and AMD's ablations.

# The control: the distillation run of this method with its loss multiplied
# by 0 (DistillBalanceHook scale=0). The student starts from the teacher like
# every distilled student (head and shape-compatible FPN convs on one-stage
# settings) and learns from the detection loss alone; gains are reported
# against it, paired by seed.
control = dict(label='control', method='AMD')
# table label -> key of `amd_ablations` in the AMD config: the paper's two
# ablations of Tables II-IV (the family settings run these alone), then the
# generation-block variants of Tables V-VI
paper_ablations = {
    'AMD w/o Ada-Mask': 'no_ada_mask',
    'AMD w/o Ada-Channel': 'no_ada_channel',
}
ablations = {
    **paper_ablations,
    'AMD MBConv': 'mbconv',
    'AMD dense x1': 'dense_x1',
    'AMD clue within': 'clue_within',
}
