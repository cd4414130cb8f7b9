# Student of the embedded RepPoints setting, trained alone: the baseline
# that its distilled students are compared with.
_base_ = ['./_base_/synthetic_detection.py', './_base_/reppoints_mini.py']

model = _base_.student_model
