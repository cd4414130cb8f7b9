# Teacher of the embedded two-stage setting: Cascade R-CNN on a half-width
# ResNet-50 with a 64-channel FPN over C2-C5, trained from scratch on the
# generated dataset (the benchmark setting embedded-faster-rcnn sets its
# schedule).
_base_ = ['./_base_/synthetic_detection.py', './_base_/faster_rcnn_mini.py']

model = _base_.teacher_model
