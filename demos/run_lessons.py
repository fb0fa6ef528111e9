"""`make lessons`: run every lesson of demos/lessons/ in course order, time each, and make the README's thumbnails.

Each lesson runs in a process of its own, exactly as a student would run it (python demos/lessons/04_momentum.py),
prints its claim and checks it, and writes its picture to demos/output/lessons/<lesson>.png. Each picture is then
shrunk to fit THUMBNAIL and centred on white, so every thumbnail has that very size, and written to
demos/lessons/pictures/<lesson>.png, which README.md shows (tests/test_lessons.py checks they are all there).

Run: python demos/run_lessons.py [lesson name or number ...]      (default: all of them)
"""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
LESSONS = ROOT / 'demos' / 'lessons'
PICTURES = LESSONS / 'pictures'
OUTPUT = ROOT / 'demos' / 'output' / 'lessons'
THUMBNAIL = (480, 200)   # width, height in pixels: every lesson's full picture fits in, letterboxed on white
SLOW = 10.0              # seconds: a lesson should run in less on a 2-core machine


def lessons(wanted: list[str]) -> list[pathlib.Path]:
    """The lesson scripts, in course order; with names or numbers given, only those."""
    found = sorted(LESSONS.glob('[0-9][0-9]_*.py'))
    if not wanted:
        return found
    chosen = [path for path in found if any(_names(path, w) for w in wanted)]
    if not chosen:
        raise SystemExit(f'no lesson matches {wanted}; the lessons are: {", ".join(p.stem for p in found)}')
    return chosen


def _names(lesson: pathlib.Path, wanted: str) -> bool:
    """04_momentum is named by '04_momentum', '04' and '4'."""
    return lesson.stem == wanted or (wanted.isdigit() and lesson.stem.startswith(f'{int(wanted):02d}_'))


def run(lesson: pathlib.Path) -> float:
    """Run one lesson in its own process from the repository's root; its running time in seconds."""
    environment = {**os.environ, 'MPLBACKEND': 'Agg'}  # pictures to files only, no window
    started = time.perf_counter()
    subprocess.run([sys.executable, str(lesson)], cwd=ROOT, env=environment, check=True)
    return time.perf_counter() - started


def thumbnail(picture: pathlib.Path, target: pathlib.Path) -> None:
    """Shrink picture to fit THUMBNAIL, keep its proportions, and centre it on a white canvas of exactly that size."""
    from PIL import Image  # Pillow comes with matplotlib, which the lessons need anyway

    with Image.open(picture) as full:
        small = full.convert('RGB')
    small.thumbnail(THUMBNAIL, Image.Resampling.LANCZOS)
    canvas = Image.new('RGB', THUMBNAIL, 'white')
    canvas.paste(small, ((THUMBNAIL[0] - small.width) // 2, (THUMBNAIL[1] - small.height) // 2))
    canvas.quantize(colors=128).save(target, optimize=True)  # flat-coloured charts: a palette keeps them small


def main(wanted: list[str]) -> None:
    PICTURES.mkdir(parents=True, exist_ok=True)
    times = {}
    for lesson in lessons(wanted):
        print(f'\n===== {lesson.stem}', flush=True)
        times[lesson.stem] = run(lesson)
        picture = OUTPUT / f'{lesson.stem}.png'
        if not picture.exists():
            raise SystemExit(f'{lesson.name} ran but wrote no picture {picture.relative_to(ROOT)}')
        thumbnail(picture, PICTURES / picture.name)
    print('\n===== time per lesson')
    for name, seconds in times.items():
        print(f'{name:28} {seconds:5.1f} s' + ('   (slow: over 10 s)' if seconds > SLOW else ''))
    print(f'{"all":28} {sum(times.values()):5.1f} s; pictures in {OUTPUT.relative_to(ROOT)}/, thumbnails in '
          f'{PICTURES.relative_to(ROOT)}/')


if __name__ == '__main__':
    main(sys.argv[1:])
