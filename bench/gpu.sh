#!/usr/bin/env bash
# The CUDA checks of the grader in one run, on a machine with an NVIDIA GPU.
#
#   bench/gpu.sh [OUT_DIR]        (default: $OUT if set, else build/gpu)
#
# Runs, and writes everything it prints to OUT_DIR/gpu-results.txt:
#  1. what the machine is: torch, CUDA, the device, bubblewrap;
#  2. the CUDA variants of the test suite (tests marked `cuda`, the device
#     checks of all the references), which skip with their reason where
#     there is no GPU;
#  3. bench/gpu_grading.py: the sample class graded with CUDA in the sandbox
#     (a student who forgets `device=` must lose its function's `devices`, one whose
#     top-level cell calls `.cuda()` must keep full marks) beside a
#     CPU-only run, with the seconds per submission of each
#     (OUT_DIR/gpu-grading.json).
#
# On the lent GPU machine (Python 3.12 with a CUDA torch, no registry, no
# nbgrader, no bubblewrap) first run bench/gpu_carry.sh here: it fetches
# the wheels and Debian packages this needs into .whl/ and .deb/, which
# this script installs into /tmp before it starts. Sized for well under 8
# minutes on one GPU.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-${OUT:-build/gpu}}
mkdir -p "$out"
log="$out/gpu-results.txt"
exec > >(tee "$log") 2>&1
start=$(date +%s)
py=${PYTHON:-python3}
[ -x .venv/bin/python ] && [ -z "${PYTHON:-}" ] && py=.venv/bin/python

echo "== bench/gpu.sh, $(date -u +%FT%TZ)"
if ls .whl/*.whl >/dev/null 2>&1; then
  "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/gpu-site .whl/*.whl && export PYTHONPATH="/tmp/gpu-site:$PWD"
  echo "installed $(ls .whl/*.whl | wc -l) carried wheels into /tmp/gpu-site"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if ! command -v bwrap >/dev/null && ls .deb/*.deb >/dev/null 2>&1; then
  for f in .deb/*.deb; do dpkg -x "$f" /tmp/gpu-root; done
  export PATH="/tmp/gpu-root/usr/bin:$PATH"
  export LD_LIBRARY_PATH="/tmp/gpu-root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "bubblewrap from the carried Debian package: $(command -v bwrap)"
fi

echo "== 1. the machine"
"$py" - <<'PY'
import torch
from grader.sandbox.bwrap import bwrap_works
print("torch", torch.__version__, "| CUDA available:", torch.cuda.is_available())
if torch.cuda.is_available():
    print("device:", torch.cuda.get_device_name(0), "| CUDA", torch.version.cuda)
print("bubblewrap works:", bwrap_works())
PY

echo "== 2. the CUDA variants of the tests"
"$py" -m pytest -q -rs -p no:cacheprovider -m cuda tests 2>&1 | tail -40
echo "exit status: ${PIPESTATUS[0]}"

echo "== 3. the sample class graded with CUDA in the sandbox, and on the CPU only"
"$py" bench/gpu_grading.py --out "$out"
echo "exit status: $?"

echo "== done in $(( $(date +%s) - start )) s; results in $log and $out/gpu-grading.json"
