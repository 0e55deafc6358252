#!/usr/bin/env python3
"""Python reference for the mnist-prep benchmark: the same work in the usual loader style.

  reference.py idx IMAGES LABELS OUT.npz   read an IDX gzip pair into numpy and save it
  reference.py zip ARCHIVE SPLIT OUT.npz   decode every <split>/<class>/<image> entry of a
                                           zip with Pillow into a numpy array and save it

Both check what mnist-prep checks cheaply (magic numbers, counts, one image size), run on
one core as such loaders do, and print the image count and the seconds taken.
"""

import gzip
import io
import sys
import time
import zipfile

import numpy as np


def read_idx(path, dimensions):
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    magic = int.from_bytes(data[0:4], "big")
    if magic != 0x0800 + dimensions:
        sys.exit(f"{path}: magic {magic}, expected {0x0800 + dimensions}")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dimensions))
    payload = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dimensions)
    if payload.size != np.prod(shape):
        sys.exit(f"{path}: {payload.size} values, expected {np.prod(shape)}")
    return payload.reshape(shape)


def pack_idx(images_path, labels_path, output):
    images = read_idx(images_path, 3)
    labels = read_idx(labels_path, 1)
    if len(images) != len(labels):
        sys.exit(f"{len(images)} images but {len(labels)} labels")
    np.savez(output, images=images, labels=labels)
    return len(images)


def pack_zip(archive_path, split, output):
    from PIL import Image

    with zipfile.ZipFile(archive_path) as archive:
        names = []
        for name in archive.namelist():
            parts = name.split("/")
            if len(parts) >= 3 and parts[-3] == split and parts[-1].lower().endswith((".png", ".jpg", ".jpeg", ".bmp")):
                names.append(name)
        names.sort()
        classes = sorted({name.split("/")[-2] for name in names}, key=lambda c: (not c.isdigit(), int(c) if c.isdigit() else 0, c))
        class_id = {name: index for index, name in enumerate(classes)}
        first = np.asarray(Image.open(io.BytesIO(archive.read(names[0]))).convert("L"))
        images = np.empty((len(names),) + first.shape, dtype=np.uint8)
        labels = np.empty(len(names), dtype=np.uint32)
        for index, name in enumerate(names):
            image = np.asarray(Image.open(io.BytesIO(archive.read(name))).convert("L"))
            if image.shape != first.shape:
                sys.exit(f"{name}: size {image.shape}, expected {first.shape}")
            images[index] = image
            labels[index] = class_id[name.split("/")[-2]]
    np.savez(output, images=images, labels=labels)
    return len(names)


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("idx", "zip"):
        sys.exit(__doc__)
    started = time.perf_counter()
    if sys.argv[1] == "idx":
        count = pack_idx(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        count = pack_zip(sys.argv[2], sys.argv[3], sys.argv[4])
    print(f"{count} images in {time.perf_counter() - started:.3f} s")


if __name__ == "__main__":
    main()
