_base_ = ['../_base_/retina_x101_retina_r50_2x_coco.py', './_base_/pkd_fpn.py']

model = dict(distiller=_base_.pkd_distillers.retina)
