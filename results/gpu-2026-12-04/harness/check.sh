#!/usr/bin/env bash
# The GPU check of mmrazor_amd on a lent machine with torch (CUDA) but no
# OpenMMLab packages and no network: installs the carried wheels (.device/whl)
# into the image's Python (which holds torch), mmcv 2.1.0's Python code with a
# PyTorch stand-in for its compiled ops (.device/site/mmcv/_ext.py, here
# mmcv_ext_standin.py), then runs the checks. Each step
# appends to $OUT/log.txt; the reports are re-packed into $OUT/reports.tgz
# after every step.
set -u
export PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
LOG=$OUT/log.txt
REPORTS=/tmp/reports
mkdir -p $REPORTS
step() { echo; echo "=== $(date -u +%T) $*"; }
pack() { tar czf $OUT/reports.tgz -C $REPORTS . 2>/dev/null; }
PY=python3  # the image's venv (/opt/torch/.venv), which holds torch
{
step setup
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
$PY -m pip install -q --no-index --no-deps --no-compile .device/whl/*.whl
SP=$($PY -c 'import site; print(site.getsitepackages()[0])')
cp -r .device/site/* "$SP"/
cp mmrazor_amd.pth _mmrazor_amd_hook.py "$SP"/
echo "$PWD" > "$SP"/zz_mmrazor_amd_checkout.pth
$PY - <<'EOF'
import platform, torch, mmcv.ops, mmdet.models, mmrazor.models, mmrazor_amd
print('python', platform.python_version(), 'torch', torch.__version__,
      'cuda', torch.version.cuda, 'cudnn', torch.backends.cudnn.version(),
      torch.cuda.get_device_name(), 'mmrazor_amd from', mmrazor_amd.__file__)
print('tf32: cudnn', torch.backends.cudnn.allow_tf32, 'matmul',
      torch.backends.cuda.matmul.allow_tf32)
EOF
} >> $LOG 2>&1 || { echo "setup failed" >> $LOG; exit 1; }

{
step "stand-in ops on CUDA against mmdet's PyTorch focal loss and greedy NMS"
$PY .device/standin_cuda_check.py

step "tests on the GPU: --amp training (fp16), AMP losses, the fast teacher"
timeout 300 $PY -m pytest -p no:cacheprovider -q -rs -n 3 --dist loadfile \
  tests/test_amp_training.py tests/test_amp.py tests/test_fast_frozen_teacher.py

step "cost part (a): the losses on a COCO batch"
timeout 150 $PY scripts/benchmark_cost.py --device cuda --part loss \
  --out $REPORTS/loss
pack

for amp in "" "--amp"; do
  for fast in off on; do
    name=step${amp:+-amp}-teacher-$fast
    step "cost part (b): retina COCO setting, batch 2 x 1024^2, $name"
    timeout 150 $PY scripts/benchmark_cost.py --device cuda --part step \
      --setting retina --step-batch 2 --step-size 1024 --step-repeats 20 \
      --step-warmup 5 --fast-teacher $fast $amp --out $REPORTS/$name
    pack
  done
done
step done
} >> $LOG 2>&1
