#!/usr/bin/env bash
# Set up the OpenMMLab stack for mmrazor_amd in the active Python environment.
#
#   bash scripts/setup_env.sh          # what `make setup` runs
#   PYTHON=/path/to/python bash scripts/setup_env.sh
#
# Idempotent: each step checks first and skips what is already in place; when
# nothing that the set-up depends on has changed it returns at once.
#
# Steps
#   1. torch: keep an installed torch >= 2.0 (CUDA users bring theirs);
#      otherwise install torch==2.13.0 (a CPU wheel where the index has one).
#   2. mmcv 2.1.0 with its compiled ops, built from source once and cached per
#      torch version under $MMRAZOR_AMD_CACHE (default ~/.cache/mmrazor_amd).
#      pip must build it with --no-build-isolation, or it silently builds
#      mmcv without ops. With nvcc and a CUDA torch, CUDA ops are built too.
#   3. openmim without its optional OpenDataLab client (which pins
#      setuptools 60 and old requests/rich), then this package in editable
#      mode with its dependencies.
#   4. check: mmcv.ops loads, mmrazor imports through the compat layer.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
CACHE="${MMRAZOR_AMD_CACHE:-$HOME/.cache/mmrazor_amd}"
MMCV_VERSION=2.1.0
TORCH_FALLBACK=2.13.0
PIP=("$PYTHON" -m pip --disable-pip-version-check)

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# --- fast path: nothing changed since the last successful run --------------
inputs_hash() {
  {
    "$PYTHON" -c 'import sys; print(sys.prefix, sys.version)'
    "$PYTHON" -c 'import torch; print(torch.__version__)' 2>/dev/null || echo no-torch
    cat "$ROOT/pyproject.toml" "$ROOT/_mmrazor_amd_hook.py" "$ROOT/mmrazor_amd.pth" "$0"
  } | sha256sum | cut -d' ' -f1
}
STAMP="$ROOT/.setup-stamp"
# (the packages must be this checkout's, as every script checks: another
# clone may have been installed in editable mode into the same environment
# since; the check runs from / so that the current directory does not shadow
# the installed copy)
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(inputs_hash)" ]] \
   && (cd / && "$PYTHON" -c 'import sys, mmcv.ops
from mmrazor_amd_bench.checkout import check_script
check_script(sys.argv[1])' "$ROOT/scripts/setup_env.sh" 2>/dev/null); then
  say "environment is up to date ($("$PYTHON" -c 'import sys; print(sys.prefix)'))"
  exit 0
fi

"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 8)' \
  || die "Python >= 3.8 is needed, $PYTHON is $("$PYTHON" --version 2>&1)"

# --- 1. torch ---------------------------------------------------------------
if "$PYTHON" -c 'import torch, sys; v = tuple(int(x) for x in torch.__version__.split("+")[0].split(".")[:2]); sys.exit(v < (2, 0))' 2>/dev/null; then
  say "torch $("$PYTHON" -c 'import torch; print(torch.__version__)') already installed: keeping it"
else
  say "installing torch==$TORCH_FALLBACK (no compatible torch found)"
  "${PIP[@]}" install "torch==$TORCH_FALLBACK"
fi

# mmcv's setup.py, openmim and mmengine's `mmdet::` configs import
# pkg_resources, which setuptools 82 removed.
"${PIP[@]}" install -q "setuptools>=64,<82" wheel ninja

# --- 2. mmcv with compiled ops ----------------------------------------------
mmcv_ok() {
  "$PYTHON" - <<EOF 2>/dev/null
import mmcv, mmcv.ops
from mmcv.ops import nms, RoIAlign, sigmoid_focal_loss  # noqa: F401
assert mmcv.__version__ == '$MMCV_VERSION', mmcv.__version__
EOF
}

if mmcv_ok; then
  say "mmcv $MMCV_VERSION with compiled ops already installed"
else
  read -r TORCH_TAG USE_CUDA < <("$PYTHON" - <<'EOF'
import shutil, sys, torch
cuda = torch.version.cuda is not None and shutil.which('nvcc') is not None
print(f"torch{torch.__version__}-cp{sys.version_info[0]}{sys.version_info[1]}", int(cuda))
EOF
)
  WHEEL_DIR="$CACHE/wheels/mmcv-$MMCV_VERSION/$TORCH_TAG"
  if [[ $USE_CUDA == 1 ]]; then WHEEL_DIR+=-cuda; fi
  mkdir -p "$WHEEL_DIR"
  if ! ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl >/dev/null 2>&1; then
    JOBS="${MAX_JOBS:-$(nproc 2>/dev/null || echo 2)}"
    say "building mmcv $MMCV_VERSION with ops against $TORCH_TAG (CUDA ops: $USE_CUDA)"
    say "this happens once per torch version; 19 to 30 min on 2 CPU cores, into $WHEEL_DIR"
    BUILD_ENV=(MMCV_WITH_OPS=1 MAX_JOBS="$JOBS")
    if [[ $USE_CUDA == 1 ]]; then BUILD_ENV+=(FORCE_CUDA=1); fi
    # --no-cache-dir: pip's own wheel cache is not keyed on the torch version
    env "${BUILD_ENV[@]}" "${PIP[@]}" wheel --no-build-isolation --no-deps \
      --no-cache-dir -w "$WHEEL_DIR" "mmcv==$MMCV_VERSION" \
      || die "building mmcv $MMCV_VERSION failed (see the compiler output above)"
  else
    say "using cached mmcv wheel from $WHEEL_DIR"
  fi
  "${PIP[@]}" install --no-deps --force-reinstall "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl
  # mmcv's own runtime needs (it was installed without them above)
  "${PIP[@]}" install -q addict packaging Pillow pyyaml yapf opencv-python mmengine
  mmcv_ok || die "mmcv $MMCV_VERSION is installed but mmcv.ops does not load.
  mmdet needs the compiled ops (nms, RoIAlign, focal loss). Remove the cached
  wheel in $WHEEL_DIR and run this script again; check that the compiler
  output shows the ops being built."
  say "mmcv $MMCV_VERSION with compiled ops installed"
fi

# --- 3. openmim and this package ----------------------------------------------
# openmim 0.3.9 requires opendatalab -> openxlab, which pin setuptools 60,
# requests 2.28 and rich 13.4 and would downgrade the stack. `mim train` and
# `mim test` never import them, so install openmim without that client.
"${PIP[@]}" install -q --no-deps "openmim>=0.3.9"
"${PIP[@]}" install -q click colorama model-index pandas requests rich tabulate
"${PIP[@]}" install -q -e "$ROOT[tests]"

# --- 4. check ------------------------------------------------------------------
"$PYTHON" - <<'EOF' || die "the installed stack does not import (see above)"
import mmcv.ops  # noqa: F401
import mmrazor.models  # noqa: F401  (needs the torch 2.x compat hook)
import mmdet.models  # noqa: F401
import mmrazor_amd
import torch
print(f'[setup] ok: torch {torch.__version__}, mmrazor_amd {mmrazor_amd.__version__}')
EOF
inputs_hash > "$STAMP"
