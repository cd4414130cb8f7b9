# Student of the embedded benchmark, trained alone: the baseline that the
# distilled students are compared with (same data, schedule and seed).
_base_ = ['./_base_/synthetic_detection.py', './_base_/retinanet_mini.py']

model = _base_.student_model
