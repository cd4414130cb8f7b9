# Teacher of the embedded RepPoints setting: RepPoints with GN neck and head
# on a half-width ResNet-50, trained from scratch on the generated dataset
# (the benchmark setting embedded-reppoints sets its schedule).
_base_ = ['./_base_/synthetic_detection.py', './_base_/reppoints_mini.py']

model = _base_.teacher_model
