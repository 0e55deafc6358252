"""Training throughput of the reference convnet in PyTorch (eager mode, CPU).

Run with any recent torch (bench/train.sh makes that virtual environment):

    python bench/peer_torch.py --data data/mnist --threads 2

The network is TripletKit's `convnet`: conv 5×5×32 (unpadded), ReLU, max-pool 2, conv
5×5×64, ReLU, max-pool 2, dense 256, ReLU, dense 2, on 1×28×28 inputs. Weights start
He-normal (std sqrt(2 / fan-in)) with zero biases, as in TripletKit. Sampling, timing and
the output line come from peer_common.py.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_common  # noqa: E402

arguments = peer_common.parse_arguments("PyTorch")
os.environ["OMP_NUM_THREADS"] = str(arguments.threads)

import torch  # noqa: E402
from torch import nn  # noqa: E402


def make_network():
    network = nn.Sequential(
        nn.Conv2d(1, 32, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 4 * 4, 256), nn.ReLU(), nn.Linear(256, 2))
    for module in network:
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
            nn.init.zeros_(module.bias)
    return network


def main():
    torch.set_num_threads(arguments.threads)
    torch.manual_seed(arguments.seed)
    network = make_network()
    # PyTorch's weight_decay adds wd·w to every parameter's gradient, biases included.
    optimizer = torch.optim.SGD(network.parameters(), lr=peer_common.LEARNING_RATE,
                                weight_decay=peer_common.WEIGHT_DECAY, momentum=0.0)

    def step(batch, count):
        embeddings = network(torch.from_numpy(batch))
        anchors = embeddings[:count]
        positives = embeddings[count:2 * count]
        negatives = embeddings[2 * count:]
        violation = ((anchors - positives).square().sum(dim=1)
                     - (anchors - negatives).square().sum(dim=1) + peer_common.MARGIN)
        loss = violation.clamp(min=0).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.item()

    peer_common.run_benchmark("torch", torch.__version__, arguments, step)


if __name__ == "__main__":
    main()
