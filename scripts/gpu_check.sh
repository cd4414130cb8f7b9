#!/usr/bin/env bash
# GPU check -- NEEDS A CUDA GPU (and the stack of `make setup` with CUDA
# torch and mmcv); it stops at once, running nothing, without one.
#
#   scripts/gpu_check.sh [OUT]        # from the repository root; OUT
#                                     # defaults to results/gpu-check
#
# 1. the GPU tests: tests/test_amp_training.py tests/test_amp.py
#    tests/test_fast_frozen_teacher.py (slow ones included) -> OUT/tests.log
# 2. the tiny distillation config (tests/configs/distill_synthetic_tiny.py
#    on generated data) for AMD, MGD and FGD, float32 and --amp: the loss
#    scale, the skipped steps and the fp16/fp32 loss ratios per method
#    (scripts/gpu_check.py) -> OUT/gpu_check.{json,md}, OUT/runs/
# 3. the COCO-size training step of results/gpu-h200 (RetinaNet setting,
#    batch 2 of 1024x1024, 25 steps), float32 and --amp, with the first and
#    last losses and AMP's loss scale (scripts/benchmark_cost.py --part
#    step) -> OUT/step-fp32, OUT/step-amp
# Each part's exit status is in OUT/status.txt; the script goes on after a
# failed part. About 10-15 minutes on one recent GPU.
set -uo pipefail
usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; }
case "${1:-}" in -h|--help) usage; exit 0 ;; esac
OUT=${1:-results/gpu-check}
PYTHON=${PYTHON:-python}
cd "$(dirname "$0")/.."
if ! "$PYTHON" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'; then
    echo "gpu_check.sh needs a CUDA GPU: torch.cuda.is_available() is False here; nothing was run" >&2
    exit 3
fi
mkdir -p "$OUT"
: > "$OUT/status.txt"
part() {  # part NAME LOG COMMAND...
    local name=$1 log=$2; shift 2
    echo "== $name: $*"
    "$@" 2>&1 | tee "$log"
    echo "$name ${PIPESTATUS[0]}" >> "$OUT/status.txt"
}
part tests "$OUT/tests.log" "$PYTHON" -m pytest -q -n 0 -rA \
    tests/test_amp_training.py tests/test_amp.py tests/test_fast_frozen_teacher.py
part tiny-config "$OUT/train.log" "$PYTHON" scripts/gpu_check.py --out "$OUT"
STEP=(--device cuda --part step --setting retina --step-batch 2 --step-size 1024
      --step-repeats 20 --step-warmup 5 --fast-teacher off)
part step-fp32 "$OUT/step-fp32.log" "$PYTHON" scripts/benchmark_cost.py "${STEP[@]}" --out "$OUT/step-fp32"
part step-amp "$OUT/step-amp.log" "$PYTHON" scripts/benchmark_cost.py "${STEP[@]}" --amp --out "$OUT/step-amp"
echo "== done; exit status per part:"
cat "$OUT/status.txt"
