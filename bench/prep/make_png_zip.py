#!/usr/bin/env python3
"""Write MNIST IDX pairs as a zip of PNG files, mnist/<split>/<label>/<index>.png.

Usage: make_png_zip.py OUT.zip SPLIT=IMAGES,LABELS [SPLIT=IMAGES,LABELS ...]

The PNGs are 8-bit gray, written with the standard library only (zlib level 6), and the
index is the image's position in the IDX file, zero-padded to five digits, so sorting by
file name restores the IDX order.
"""

import gzip
import struct
import sys
import zipfile
import zlib


def read_idx(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as handle:
        data = handle.read()
    dimensions = data[3]
    shape = struct.unpack(">" + "I" * dimensions, data[4:4 + 4 * dimensions])
    return shape, data[4 + 4 * dimensions:]


def png_gray(width, height, pixels):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    rows = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 6))
            + chunk(b"IEND", b""))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as archive:
        for spec in sys.argv[2:]:
            split, paths = spec.split("=", 1)
            images_path, labels_path = paths.split(",")
            (count, height, width), pixels = read_idx(images_path)
            _, labels = read_idx(labels_path)
            size = height * width
            for index in range(count):
                name = f"mnist/{split}/{labels[index]}/{index:05d}.png"
                archive.writestr(name, png_gray(width, height, pixels[index * size:(index + 1) * size]))
            print(f"{sys.argv[1]}: {count} {split} images", file=sys.stderr)


if __name__ == "__main__":
    main()
