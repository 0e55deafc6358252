"""Data, triplet sampling and timing shared by peer_mxnet.py and peer_torch.py (numpy only).

Both peers train the reference convnet with TripletKit's settings: 32 random triplets a
step, concatenated into one batch of 96 images, the loss
mean(max(|a-p|² - |a-n|² + 1, 0)) and SGD with lr 0.01, weight decay 5e-4 and no
momentum. Each framework script supplies one `step(batch, count)` function that runs
forward, loss, backward and update and returns the loss as a Python float. This module
times that function the way `triplet-bench train` times TripletKit's step.
"""

import argparse
import gzip
import os
import resource
import time

import numpy as np

TRIPLETS_PER_STEP = 32
MARGIN = 1.0
LEARNING_RATE = 0.01
WEIGHT_DECAY = 5e-4


def parse_arguments(framework):
    parser = argparse.ArgumentParser(
        description=f"Measure {framework} training throughput on the reference convnet in triplets/s.")
    parser.add_argument("--data", default="data/mnist",
                        help="folder with train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for the framework's kernels")
    parser.add_argument("--warmup", type=int, default=20,
                        help="untimed steps first, at least 1 because the first step's loss is reported")
    parser.add_argument("--steps", type=int, default=200, help="steps per timed window")
    parser.add_argument("--windows", type=int, default=3, help="timed windows; the median is reported")
    parser.add_argument("--seed", type=int, default=0, help="seed for initialisation and sampling")
    arguments = parser.parse_args()
    for name in ("threads", "warmup", "steps", "windows"):
        if getattr(arguments, name) < 1:
            parser.error(f"invalid value {getattr(arguments, name)} for --{name}: expected at least 1")
    return arguments


def read_idx(path):
    """Read an unsigned-byte IDX file (gzip) into a numpy array of its stated shape."""
    with gzip.open(path, "rb") as stream:
        data = stream.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file (header {data[:4].hex()})")
    rank = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * rank).reshape(shape)


def load_training_set(folder):
    images = read_idx(os.path.join(folder, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(folder, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    if len(images) != len(labels):
        raise ValueError(f"{folder}: {len(images)} images but {len(labels)} labels")
    return images, labels


class TripletSampler:
    """Random triplets: a uniform anchor class, two distinct uniform images of it, and a
    uniform image of a class drawn uniformly from the other classes."""

    def __init__(self, labels, seed):
        self.order = np.argsort(labels, kind="stable")
        self.counts = np.bincount(labels)
        self.starts = np.concatenate([[0], np.cumsum(self.counts)[:-1]])
        if len(self.counts) < 2 or self.counts.min() < 2:
            raise ValueError(f"every class needs at least 2 images; class counts are {self.counts.tolist()}")
        self.generator = np.random.default_rng(seed)

    def sample(self, count):
        """Return image ids (3·count,): anchors, then positives, then negatives."""
        draw = self.generator.integers
        class_count = len(self.counts)
        anchor_class = draw(0, class_count, count)
        sizes = self.counts[anchor_class]
        anchor = draw(0, sizes)
        positive = draw(0, sizes - 1)
        positive += positive >= anchor
        negative_class = draw(0, class_count - 1, count)
        negative_class += negative_class >= anchor_class
        negative = draw(0, self.counts[negative_class])
        positions = np.concatenate([self.starts[anchor_class] + anchor,
                                    self.starts[anchor_class] + positive,
                                    self.starts[negative_class] + negative])
        return self.order[positions]


def gather_batch(images, ids):
    """Gather images `ids` as float32 (N, 1, 28, 28) in [0, 1], scaled as TripletKit scales them."""
    return (images[ids].astype(np.float32) * np.float32(1 / 255))[:, None]


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # ru_maxrss is in KiB on Linux


def run_benchmark(framework, version, arguments, step):
    """Time `step(batch, count) -> loss` and print one key=value line.

    `batch` contains `count` anchors, then as many positives and negatives.

    Each timed step includes sampling, gathering and scaling the batch, the framework's
    forward, loss, backward and update, and reading the loss back to Python, which waits
    for the loss and for every earlier operation it depends on.
    """
    images, labels = load_training_set(arguments.data)
    sampler = TripletSampler(labels, arguments.seed)

    def train_step():
        return step(gather_batch(images, sampler.sample(TRIPLETS_PER_STEP)), TRIPLETS_PER_STEP)

    first_loss = train_step()
    for _ in range(arguments.warmup - 1):
        train_step()

    rates = []
    window_losses = []
    for _ in range(arguments.windows):
        loss_sum = 0.0
        start = time.perf_counter()
        for _ in range(arguments.steps):
            loss_sum += train_step()
        rates.append(arguments.steps * TRIPLETS_PER_STEP / (time.perf_counter() - start))
        window_losses.append(loss_sum / arguments.steps)

    median = sorted(rates)[len(rates) // 2]
    print(f"framework={framework} version={version} triplets_per_s={median:.1f} "
          f"windows={','.join(f'{rate:.0f}' for rate in rates)} threads={arguments.threads} "
          f"first_loss={first_loss:.4f} last_window_loss={window_losses[-1]:.4f} "
          f"peak_rss_mib={peak_rss_mib()}", flush=True)
