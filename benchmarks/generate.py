"""Speed of the synthetic zoo generator, beside walking the tree it wrote, in the same run.

    python benchmarks/generate.py                      # 10,000 and 100,000 models
    python benchmarks/generate.py --models 2000000 --dir /big/disk --keep

For each size: models/s and files/s of ``mlkg.generate.generate_zoo``, the bytes written and the
space they take on disk, the peak memory of the generating processes, and two baselines on the
produced tree in the same run:

* ``os.walk`` + ``lstat`` over it (what any crawler must at least do to find the files; the tree
  is usually still in the page cache, so this is a floor, not a cold read);
* ``replay``: creating the same folders and files with the same sizes (zeros), in one process,
  without generating anything: what this disk allows, so ``generate / replay`` is the share of
  the disk's file-creation rate the generator reaches (``--no-replay`` skips it: it needs as much
  free space again).

These machines are noisy (shared cores and disks): compare the ratios, not the seconds. Deleting
a tree is slow where the disk is mounted with ``discard`` (every unlink trims), and it slows the
writes that follow, so nothing is deleted until every size was measured. Not a test: nothing here
fails.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from mlkg.generate import generate_zoo


def walk(root: Path) -> tuple[int, int, float]:
    """Files, bytes on disk (allocated blocks) and seconds of an ``os.walk`` + ``lstat``."""
    start = time.perf_counter()
    files = blocks = 0
    for folder, _dirs, names in os.walk(root):
        for name in names:
            files += 1
            blocks += os.lstat(os.path.join(folder, name)).st_blocks
    return files, blocks * 512, time.perf_counter() - start


def replay(root: Path, mirror: Path) -> tuple[int, float]:
    """Files and seconds to recreate ``root``'s folders and file sizes under ``mirror``."""
    layout = [
        (
            os.path.relpath(folder, root),
            [(n, os.lstat(os.path.join(folder, n)).st_size) for n in names],
        )
        for folder, _dirs, names in os.walk(root)
    ]
    start = time.perf_counter()
    files = 0
    for folder, entries in layout:
        path = mirror / folder
        path.mkdir(parents=True, exist_ok=True)
        for name, size in entries:
            handle = os.open(path / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.write(handle, bytes(size))
            os.close(handle)
            files += 1
    return files, time.perf_counter() - start


def peak_rss_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of its (finished) worker processes, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def run(models: int, parent: Path, *, seed: int, workers: int | None, baseline: bool) -> None:
    target = parent / f"zoo-{models}"
    report = generate_zoo(target, models=models, seed=seed, workers=workers)
    own, children = peak_rss_mb()
    files, on_disk, walk_seconds = walk(target)
    print(
        f"{models:>10,} models  generate {report.seconds:8.1f}s  "
        f"{models / report.seconds:>9,.0f} models/s  {report.files_per_second:>9,.0f} files/s  "
        f"({report.files:,} files, {report.bytes / 1e9:.2f} GB written, "
        f"{on_disk / 1e9:.2f} GB on disk, {report.workers} workers)\n"
        f"{'':>10}         os.walk  {walk_seconds:8.1f}s  {'':>9}           "
        f"{files / walk_seconds:>9,.0f} files/s  (baseline)\n"
        f"{'':>10}         peak memory: {own:.0f} MB main process, "
        f"{children:.0f} MB largest worker",
        flush=True,
    )
    if baseline:
        mirror = parent / f"replay-{models}"
        copied, seconds = replay(target, mirror)
        print(
            f"{'':>10}         replay   {seconds:8.1f}s  {'':>9}           "
            f"{copied / seconds:>9,.0f} files/s  (baseline: generate reaches "
            f"{report.files_per_second / (copied / seconds):.0%} of it)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, help="default: all cores")
    parser.add_argument("--dir", type=Path, help="where to write (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the zoos (to build them)")
    parser.add_argument("--no-replay", action="store_true", help="skip the replay baseline")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    parent = Path(tempfile.mkdtemp(prefix="mlkg-generate-", dir=args.dir))
    try:
        for models in args.models:
            run(models, parent, seed=args.seed, workers=args.workers, baseline=not args.no_replay)
    finally:
        if args.keep:
            print(f"zoos kept in {parent}")
        else:
            print(f"removing {parent} (slow on disks mounted with discard)", flush=True)
            start = time.perf_counter()
            shutil.rmtree(parent, ignore_errors=True)
            print(f"removed in {time.perf_counter() - start:.0f}s")


if __name__ == "__main__":
    main()
