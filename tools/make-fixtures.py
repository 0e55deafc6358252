#!/usr/bin/env python3
"""Write the small real-MNIST fixtures in fixtures/ from the full IDX files.

Usage: tools/make-fixtures.py MNIST_DIR FIXTURES_DIR

Keeps the first 30 training and the first 20 test images of each class, in file order,
as IDX gzip pairs (mnist-small-train-*, mnist-small-t10k-*). gzip mtime is 0, so the
output is byte-identical on every run.
"""
import gzip
import os
import struct
import sys

import numpy as np


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def write_idx(path, array, magic):
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape)
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(header + array.tobytes())


def main():
    source, target = sys.argv[1], sys.argv[2]
    for split, per_class in (("train", 30), ("t10k", 20)):
        images = read_idx(os.path.join(source, f"{split}-images-idx3-ubyte.gz"))
        labels = read_idx(os.path.join(source, f"{split}-labels-idx1-ubyte.gz"))
        keep = sorted(i for c in range(10) for i in np.flatnonzero(labels == c)[:per_class])
        write_idx(os.path.join(target, f"mnist-small-{split}-images-idx3-ubyte.gz"), images[keep], 2051)
        write_idx(os.path.join(target, f"mnist-small-{split}-labels-idx1-ubyte.gz"), labels[keep], 2049)


if __name__ == "__main__":
    main()
