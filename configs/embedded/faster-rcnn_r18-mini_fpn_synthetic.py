# Student of the embedded two-stage setting, trained alone: Faster R-CNN on
# a half-width ResNet-18, the baseline that its distilled students are
# compared with.
_base_ = ['./_base_/synthetic_detection.py', './_base_/faster_rcnn_mini.py']

model = _base_.student_model
