#!/usr/bin/env python3
"""Make a folder of COUNT digit images, OUT/train/<label>/<index>.png, for the memory
benchmark. Only 100 distinct PNG files are written, from the first 100 images of an IDX
pair. Every other path is a hard link to one of them, so a million images take about as
much disk as their folder entries.

Usage: make_folder.py OUT COUNT IMAGES LABELS
"""

import os
import sys

from make_png_zip import png_gray, read_idx


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    out, count = sys.argv[1], int(sys.argv[2])
    (total, height, width), pixels = read_idx(sys.argv[3])
    _, labels = read_idx(sys.argv[4])
    originals = os.path.join(out, "originals")
    os.makedirs(originals, exist_ok=True)
    for label in range(10):
        os.makedirs(os.path.join(out, "train", str(label)), exist_ok=True)
    sources = []
    for index in range(min(100, total)):
        path = os.path.join(originals, f"{index}.png")
        with open(path, "wb") as handle:
            handle.write(png_gray(width, height, pixels[index * height * width:(index + 1) * height * width]))
        sources.append((path, labels[index]))
    for index in range(count):
        source, label = sources[index % len(sources)]
        os.link(source, os.path.join(out, "train", str(label), f"{index:07d}.png"))
    print(f"{out}: {count} images", file=sys.stderr)


if __name__ == "__main__":
    main()
