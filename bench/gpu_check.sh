#!/usr/bin/env bash
# The GPU checks of issue 23, in one run of about 8 minutes on one H100: the tiny families
# generating on CUDA (tests/inference_tests/test_gpu_generation.py), then the throughput bench
# (bench/bench_inference_gpu.py, 7B Qwen2.5-VL architecture, random weights). Writes both outputs
# under ${OUT:-bench/out}.
#
# The GPU machine's image: Python 3.12, torch 2.11, transformers 5.17 (with its own dependencies:
# numpy, tokenizers, safetensors, PyYAML, Pillow...), peft; no package index, no internet. This
# script installs nothing. What must be carried, besides the repository's own code (inference/,
# cmr_reader/domain/, bench/, tests/inference_tests/):
#   var/gpu-site/   pure-Python packages the image lacks, copied from the dev venv before the run:
#       mkdir -p var/gpu-site && cp -r .venv/lib/python3.11/site-packages/{pydicom,pytest,_pytest,pluggy,iniconfig} var/gpu-site/
#     pydicom (synthetic studies are written and read as DICOM); pytest, _pytest, pluggy, iniconfig
#     (only if the image has no pytest; the test file also runs without pytest's Django plugin:
#     --noconftest, no pytest.ini). var/ is git-ignored, so name it in the run's carry list.
# Usage (repository root):  bash bench/gpu_check.sh [extra bench arguments]
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-bench/out}"
mkdir -p "$OUT"
export PYTHONPATH="$PWD:$PWD/var/gpu-site${PYTHONPATH:+:$PYTHONPATH}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
PYTHON="${PYTHON:-python3}"

echo "== environment"
"$PYTHON" - <<'EOF' 2>&1 | tee "$OUT/gpu_environment.txt"
import importlib, platform
print("python", platform.python_version())
for name in ("torch", "transformers", "tokenizers", "numpy", "PIL", "pydicom", "pytest", "peft", "flash_attn"):
    try:
        module = importlib.import_module(name)
        print(name, getattr(module, "__version__", "?"))
    except Exception as error:  # noqa: BLE001
        print(name, "MISSING", type(error).__name__)
import torch
print("cuda", torch.cuda.is_available(), torch.cuda.get_device_name() if torch.cuda.is_available() else "")
EOF

echo "== tiny families on the GPU (about 1 minute)"
timeout 150 "$PYTHON" -m pytest -q -p no:cacheprovider --noconftest -c /dev/null --rootdir . \
    tests/inference_tests/test_gpu_generation.py 2>&1 | tee "$OUT/gpu_tiny_families.txt" | tail -20
tests_rc=${PIPESTATUS[0]}

echo "== throughput bench (about 6 minutes; each peer's figures go to gpu_bench.log as they come)"
timeout 420 "$PYTHON" bench/bench_inference_gpu.py --arch 7b --device cuda "$@" \
    >"$OUT/gpu_bench.json" 2>"$OUT/gpu_bench.log"
bench_rc=$?
tail -5 "$OUT/gpu_bench.log"
cat "$OUT/gpu_bench.json"
echo "tests rc=$tests_rc bench rc=$bench_rc"
exit $(( tests_rc != 0 || bench_rc != 0 ))
