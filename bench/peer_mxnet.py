"""Training throughput of the reference convnet in MXNet Gluon, the tutorial's framework.

Run with MXNet 1.9.1 and numpy 1.23.5 (bench/train.sh makes that virtual environment):

    python bench/peer_mxnet.py --data data/mnist --threads 2

The network is TripletKit's `convnet`: conv 5×5×32 (unpadded), ReLU, max-pool 2, conv
5×5×64, ReLU, max-pool 2, dense 256, ReLU, dense 2, on 1×28×28 inputs. Weights start
He-normal (std sqrt(2 / fan-in)) with zero biases, as in TripletKit. The block is
hybridized with static memory, MXNet's fastest Gluon mode. Sampling, timing and the
output line come from peer_common.py.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_common  # noqa: E402

arguments = peer_common.parse_arguments("MXNet")
# MXNet's CPU operators size their OpenMP pools when the library loads.
os.environ["OMP_NUM_THREADS"] = str(arguments.threads)

import mxnet as mx  # noqa: E402
from mxnet import autograd, gluon, nd  # noqa: E402
from mxnet.gluon import nn  # noqa: E402


def make_network():
    network = nn.HybridSequential()
    network.add(nn.Conv2D(32, kernel_size=5, activation="relu"),
                nn.MaxPool2D(pool_size=2),
                nn.Conv2D(64, kernel_size=5, activation="relu"),
                nn.MaxPool2D(pool_size=2),
                nn.Dense(256, activation="relu"),  # Dense flattens its (N, 64, 4, 4) input
                nn.Dense(2))
    # MSRAPrelu with slope 0 is He-normal over the fan-in. Biases keep their zero initialiser.
    network.initialize(mx.init.MSRAPrelu(factor_type="in", slope=0.0))
    network.hybridize(static_alloc=True, static_shape=True)
    return network


def main():
    mx.random.seed(arguments.seed)
    network = make_network()
    # step(1) below applies the gradient of the mean loss unscaled, and MXNet's SGD
    # decays every parameter, biases included, as TripletKit's SGD does.
    trainer = gluon.Trainer(network.collect_params(), "sgd",
                            {"learning_rate": peer_common.LEARNING_RATE,
                             "wd": peer_common.WEIGHT_DECAY, "momentum": 0.0})

    def step(batch, count):
        images = nd.array(batch)
        with autograd.record():
            embeddings = network(images)
            anchors = embeddings[:count]
            positives = embeddings[count:2 * count]
            negatives = embeddings[2 * count:]
            violation = (nd.sum(nd.square(anchors - positives), axis=1)
                         - nd.sum(nd.square(anchors - negatives), axis=1) + peer_common.MARGIN)
            loss = nd.relu(violation).mean()
        loss.backward()
        trainer.step(1)
        return float(loss.asscalar())

    peer_common.run_benchmark("mxnet", mx.__version__, arguments, step)


if __name__ == "__main__":
    main()
