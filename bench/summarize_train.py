"""Summarise a bench/train.sh run as Markdown: medians over rounds, the ratio to the faster
peer, achieved GFLOP/s against the sgemm rate of the same run, and the peak memory of the
full-MNIST run.

Usage: python3 bench/summarize_train.py RESULTS_FOLDER   (reads measurements.txt there)
Standard library only.
"""

import re
import statistics
import sys
from pathlib import Path

# The reference convnet, layer by layer: (name, multiply-adds per image in the forward pass).
# conv: output channels × output height × output width × input channels × kernel area;
# dense: input features × output features. Pooling and ReLU are not counted.
LAYER_MULTIPLY_ADDS = [
    ("conv1", 32 * 24 * 24 * 1 * 5 * 5),
    ("conv2", 64 * 8 * 8 * 32 * 5 * 5),
    ("fc1", 1024 * 256),
    ("fc2", 256 * 2),
]
FORWARD_FLOPS = 2 * sum(count for _, count in LAYER_MULTIPLY_ADDS)
# Backward: every layer computes its weight gradient, as many FLOPs as its forward pass.
# Every layer but the first also computes its input gradient, as many again. TripletKit
# skips conv1's input gradient because nothing uses it.
TRAINING_FLOPS = 3 * FORWARD_FLOPS - 2 * LAYER_MULTIPLY_ADDS[0][1]
IMAGES_PER_TRIPLET = 3
GOAL_RATIO = 1.25
GOAL_RSS_BYTES = 300e6
# A round is quiet when no measurement in it saw other processes keep more than this
# many cores busy on average. Only quiet rounds compare the programs at full speed.
QUIET_LOAD = 0.2

LABELS = {
    "tripletkit-2": "TripletKit, 2 threads (two shards; its AVX-512 kernel where the CPU has AVX-512F)",
    "tripletkit-2-openblas": "TripletKit, 2 threads, --gemm openblas (im2col and OpenBLAS sgemm)",
    "tripletkit-2-native": "TripletKit, 2 threads, OPENBLAS_CORETYPE unset (OpenBLAS picks its kernel)",
    "tripletkit-1": "TripletKit, --threads 1 (shards in turn, 1 BLAS thread)",
    "mxnet": "MXNet, OMP_NUM_THREADS=2",
    "torch": "PyTorch, torch.set_num_threads(2)",
}
PEERS = ["mxnet", "torch"]


def parse_line(line):
    """Return the key=value pairs of one measurement line; values may be double-quoted."""
    return {key: value.strip('"') for key, value in re.findall(r'(\w+)=("[^"]*"|\S+)', line)}


def read_measurements(folder):
    runs = []
    sgemm = []
    native_sgemm = []
    full_run = None
    for line in (folder / "measurements.txt").read_text().splitlines():
        fields = parse_line(line)
        if fields.get("config") == "full-run":
            full_run = fields
        elif fields.get("config") == "sgemm":
            sgemm.append(fields)
        elif fields.get("config") == "sgemm-native":
            native_sgemm.append(fields)
        elif "triplets_per_s" in fields:
            runs.append(fields)
    return runs, sgemm, native_sgemm, full_run


def gflops(triplets_per_second):
    return triplets_per_second * IMAGES_PER_TRIPLET * TRAINING_FLOPS / 1e9


def sgemm_results(sgemm, size, threads):
    """Return the best per-round median and the per-round lines of one sgemm size and thread count."""
    lines = [f for f in sgemm if f["n"] == str(size) and f["threads"] == str(threads)]
    rates = [float(f["gflops"]) for f in lines]
    return (max(rates), lines) if rates else (None, [])


def is_quiet(fields):
    load = fields.get("other_load")
    return load is not None and float(load) <= QUIET_LOAD


def main():
    if len(sys.argv) != 2:
        sys.exit("Usage: python3 bench/summarize_train.py RESULTS_FOLDER")
    folder = Path(sys.argv[1])
    runs, sgemm, native_sgemm, full_run = read_measurements(folder)
    out = []

    environment = folder / "environment.txt"
    if environment.exists():
        out += ["```", environment.read_text().strip(), "```", ""]

    # The sgemm peak is the best round's median, because load only ever lowers it. For
    # 2-thread configurations it is the better of the 1- and 2-thread peaks, because on a
    # loaded host two threads can be slower than one.
    peak_one, _ = sgemm_results(sgemm, 2048, 1)
    peak_two, _ = sgemm_results(sgemm, 2048, 2)
    peaks = [rate for rate in (peak_one, peak_two) if rate is not None]
    peak_best = max(peaks) if peaks else None
    native_one, _ = sgemm_results(native_sgemm, 2048, 1)
    native_peaks = [rate for rate in (native_one, sgemm_results(native_sgemm, 2048, 2)[0]) if rate is not None]
    native_peak = max(native_peaks) if native_peaks else None
    # TripletKit's own AVX-512 kernel and the peers' libraries are not bound by the kernel
    # that OPENBLAS_CORETYPE forces, so their peak is the fastest sgemm of the run.
    hardware_peak = max(peaks + native_peaks) if peaks + native_peaks else None
    one_thread_peaks = [rate for rate in (peak_one, native_one) if rate is not None]
    hardware_peak_one = max(one_thread_peaks) if one_thread_peaks else None

    out.append(f"FLOPs per image (2 per multiply-add, conv and dense layers): forward "
               f"{FORWARD_FLOPS / 1e6:.3f} M ("
               + ", ".join(f"{name} {2 * count / 1e6:.3f}" for name, count in LAYER_MULTIPLY_ADDS)
               + f"); forward + backward {TRAINING_FLOPS / 1e6:.3f} M; one step of 32 triplets "
               f"{32 * IMAGES_PER_TRIPLET * TRAINING_FLOPS / 1e9:.3f} GFLOP.")
    if hardware_peak:
        out.append(f"At the fastest sgemm rate of this run ({hardware_peak:.1f} GFLOP/s) that bounds training at "
                   f"{hardware_peak * 1e9 / (IMAGES_PER_TRIPLET * TRAINING_FLOPS):.0f} triplets/s.")
    out.append("")

    configurations = [name for name in LABELS if any(r["config"] == name for r in runs)]
    rounds = sorted({int(r["round"]) for r in runs})
    quiet_rounds = {n for n in rounds
                    if all(is_quiet(f) for f in runs + sgemm if int(f["round"]) == n)}
    medians = {}
    out.append("| configuration | triplets/s (median of rounds) | per round | other load per round (cores) "
               "| all windows (min–max) | GFLOP/s | % of sgemm | step-1 loss | last-window loss | peak RSS MiB |")
    out.append("| --- | ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for name in configurations:
        mine = sorted((r for r in runs if r["config"] == name), key=lambda r: int(r["round"]))
        rates = [float(r["triplets_per_s"]) for r in mine]
        windows = [float(w) for r in mine for w in r["windows"].split(",")]
        medians[name] = statistics.median(rates)
        if name == "tripletkit-1":
            peak = hardware_peak_one
        elif name.endswith("-native"):
            peak = native_peak
        elif name.endswith("-openblas"):
            peak = peak_best
        else:
            peak = hardware_peak
        percent = f"{100 * gflops(medians[name]) / peak:.0f}%" if peak else "n/a"
        first_loss = ", ".join(r.get("first_loss", "–") for r in mine)
        last_loss = ", ".join(r.get("last_window_loss", "–") for r in mine)
        version = f" {mine[0]['version']}" if "version" in mine[0] else ""
        out.append(f"| {LABELS[name]}{version} | **{medians[name]:.0f}** | "
                   f"{', '.join(f'{rate:.0f}' for rate in rates)} | {', '.join(r.get('other_load', '?') for r in mine)} | "
                   f"{min(windows):.0f}–{max(windows):.0f} | "
                   f"{gflops(medians[name]):.1f} | {percent} | {first_loss} | {last_loss} | "
                   f"{max(int(r['peak_rss_mib']) for r in mine)} |")
    out.append("")

    peers_run = [name for name in PEERS if name in medians]
    if "tripletkit-2" in medians and peers_run:
        faster = max(peers_run, key=lambda name: medians[name])
        ratio = medians["tripletkit-2"] / medians[faster]
        per_round = []
        for round_number in rounds:
            in_round = {r["config"]: float(r["triplets_per_s"]) for r in runs if int(r["round"]) == round_number}
            peer_rates = [in_round[name] for name in peers_run if name in in_round]
            if "tripletkit-2" in in_round and peer_rates:
                per_round.append((round_number, in_round["tripletkit-2"] / max(peer_rates)))
        out.append(f"TripletKit (2 threads) / faster peer ({faster}) on the medians of all rounds: {ratio:.2f}×. "
                   f"Per round, against that round's faster peer: "
                   + ", ".join(f"{r:.2f} (round {n}{', quiet' if n in quiet_rounds else ''})" for n, r in per_round) + ".")
        quiet_ratios = [r for n, r in per_round if n in quiet_rounds]
        if quiet_ratios:
            quiet_ratio = statistics.median(quiet_ratios)
            verdict = "met" if quiet_ratio >= GOAL_RATIO else "NOT met"
            out.append(f"**In quiet rounds: {quiet_ratio:.2f}×** (median of {len(quiet_ratios)}). "
                       f"Goal ≥ {GOAL_RATIO}×: {verdict}.")
        else:
            out.append(f"No round was quiet (other load ≤ {QUIET_LOAD} cores in every measurement), "
                       f"so every ratio above was measured under load; rerun when the host is idle.")
    if "tripletkit-2-native" in medians and peers_run:
        faster = max(peers_run, key=lambda name: medians[name])
        native_ratios = []
        for round_number in sorted(quiet_rounds):
            in_round = {r["config"]: float(r["triplets_per_s"]) for r in runs if int(r["round"]) == round_number}
            peer_rates = [in_round[name] for name in peers_run if name in in_round]
            if "tripletkit-2-native" in in_round and peer_rates:
                native_ratios.append(in_round["tripletkit-2-native"] / max(peer_rates))
        out.append(f"With OPENBLAS_CORETYPE unset: TripletKit / faster peer ({faster}) on the medians of all rounds "
                   f"{medians['tripletkit-2-native'] / medians[faster]:.2f}×"
                   + (f"; in quiet rounds {statistics.median(native_ratios):.2f}×." if native_ratios else "."))
    if "tripletkit-2" in medians and "tripletkit-1" in medians:
        out.append(f"Two shards on two threads / one thread, on the medians of all rounds: "
                   f"{medians['tripletkit-2'] / medians['tripletkit-1']:.2f}×.")
    out.append("")

    out.append("sgemm (OpenBLAS cblas_sgemm, n×n, median of 5 timings in each round; GFLOP/s):")
    out.append("")
    out.append("| n | threads | best round | per round | other load per round (cores) |")
    out.append("| ---: | ---: | ---: | --- | --- |")
    for size in (1024, 2048):
        for threads in (1, 2):
            for label, results in (("", sgemm), (" (CORETYPE unset)", native_sgemm)):
                median, lines = sgemm_results(results, size, threads)
                if median is not None:
                    out.append(f"| {size} | {threads}{label} | {median:.1f} | {', '.join(f['gflops'] for f in lines)} | "
                               f"{', '.join(f.get('other_load', '?') for f in lines)} |")
    out.append("")

    if full_run:
        rss_kib = full_run.get("max_rss_kib", "")
        if rss_kib.isdigit():
            rss_bytes = int(rss_kib) * 1024
            verdict = "met" if rss_bytes < GOAL_RSS_BYTES else "NOT met"
            memory = (f"**{rss_bytes / 1e6:.0f} MB** ({rss_bytes / 2**20:.0f} MiB, /usr/bin/time -v). "
                      f"Goal < 300 MB: {verdict}.")
        else:
            memory = f"{full_run.get('printed_peak_mib', '?')} MiB, as printed by triplet-train."
        out += ["Full-MNIST run (triplet-train, 1 epoch of 60,000 triplets on 2 threads, then the test "
                "embeddings and precision@1):",
                "",
                f"- peak resident memory: {memory}",
                f"- epoch-1 mean loss {full_run.get('loss', '?')}, test precision@1 "
                f"{full_run.get('precision_at_1', '?')}",
                f"- {full_run.get('triplets_per_s', '?')} triplets/s over the epoch, wall time "
                f"{full_run.get('wall', '?')}, other load {full_run.get('other_load', '?')} cores"]
    else:
        out.append("Full-MNIST run: no result (see logs/full-run.log).")

    print("\n".join(out))


if __name__ == "__main__":
    main()
