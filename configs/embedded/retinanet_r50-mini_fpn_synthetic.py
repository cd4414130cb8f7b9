# Teacher of the embedded benchmark: RetinaNet with a half-width ResNet-50,
# trained from scratch on the generated dataset.
_base_ = ['./_base_/synthetic_detection.py', './_base_/retinanet_mini.py']

model = _base_.teacher_model
