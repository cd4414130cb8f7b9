#!/usr/bin/env bash
# Second GPU call of 2026-12-04 (same set-up as check.sh): the fold gap of
# the X101 teacher with TF32 on and off, and part (b) under --amp again, now
# recording the dynamic loss scale and the first and last losses.
set -u
export PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
LOG=$OUT/log2.txt
REPORTS=/tmp/reports
mkdir -p $REPORTS
step() { echo; echo "=== $(date -u +%T) $*"; }
pack() { tar czf $OUT/reports2.tgz -C $REPORTS . 2>/dev/null; }
PY=python3
{
step setup
$PY -m pip install -q --no-index --no-deps --no-compile .device/whl/*.whl
SP=$($PY -c 'import site; print(site.getsitepackages()[0])')
cp -r .device/site/* "$SP"/
cp mmrazor_amd.pth _mmrazor_amd_hook.py "$SP"/
echo "$PWD" > "$SP"/zz_mmrazor_amd_checkout.pth
git log --oneline -1 2>/dev/null; git status --short 2>/dev/null | head
} >> $LOG 2>&1
{
step "fold gap of the X101-64x4d backbone, TF32 on and off"
timeout 90 $PY .device/fold_gap.py
step "cost part (b): retina, --amp, teacher hook off, loss scale recorded"
timeout 150 $PY scripts/benchmark_cost.py --device cuda --part step \
  --setting retina --step-batch 2 --step-size 1024 --step-repeats 20 \
  --step-warmup 5 --fast-teacher off --amp --out $REPORTS/step-amp-teacher-off
pack
step done
} >> $LOG 2>&1
