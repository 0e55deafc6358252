#!/usr/bin/env bash
# Training-throughput benchmark: TripletKit against MXNet 1.9.1 and PyTorch on the
# reference convnet (32 triplets a step, 2 threads), in interleaved rounds, with the
# OpenBLAS sgemm rate measured in the same rounds and the peak memory of a full-MNIST run.
# See bench/README.md for what each part measures.
#
# Usage: bench/train.sh [ROUNDS]          (from any folder; default 3 rounds)
#
# Settings (environment):
#   BIN      folder with mnist-prep, triplet-bench and triplet-train (default .build/release)
#   DATA     MNIST IDX folder, filled by tools/fetch-mnist when empty (default data/mnist)
#   PEERS    peers to run, any of "mxnet torch" (default both)
#   VENVS    folder of the peers' virtual environments (default .venv-bench)
#   STEPS, WINDOWS, WARMUP   timed steps per window, windows, warm-up steps (200, 3, 20)
#   RESULTS  folder for this run (default bench/results/train-YYYYmmdd-HHMMSS)
set -euo pipefail

cd "$(dirname "$0")/.."
rounds=${1:-${ROUNDS:-3}}
BIN=${BIN:-.build/release}
DATA=${DATA:-data/mnist}
PEERS=${PEERS:-mxnet torch}
VENVS=${VENVS:-.venv-bench}
STEPS=${STEPS:-200}
WINDOWS=${WINDOWS:-3}
WARMUP=${WARMUP:-20}
RESULTS=${RESULTS:-bench/results/train-$(date +%Y%m%d-%H%M%S)}
THREADS=2

# The peers' packages. MXNet 1.9.1 still uses numpy aliases that numpy 1.24 removed.
MXNET_PACKAGES="mxnet==1.9.1 numpy==1.23.5"
# NOTE: plain `pip install torch` pulls the CUDA wheels (about 5.6 GB); only the CPU is used.
TORCH_PACKAGES="torch numpy"

fail() {
    echo "train.sh: $*" >&2
    exit 1
}

case "$rounds" in
    '' | *[!0-9]* | 0) echo "train.sh: invalid ROUNDS '$rounds': expected a positive integer. Usage: bench/train.sh [ROUNDS]" >&2; exit 64 ;;
esac
for peer in $PEERS; do
    case "$peer" in
        mxnet | torch) ;;
        *) echo "train.sh: invalid peer '$peer' in PEERS: expected mxnet and/or torch" >&2; exit 64 ;;
    esac
done
for tool in mnist-prep triplet-bench triplet-train; do
    [ -x "$BIN/$tool" ] || fail "$BIN/$tool not found; build with 'make build' or set BIN to the folder of a release build"
done

# Creates the virtual environment VENVS/NAME with PACKAGES unless it already imports MODULE.
ensure_venv() {
    local name=$1 module=$2 packages=$3
    local python="$VENVS/$name/bin/python"
    if [ -x "$python" ] && "$python" -c "import $module" 2>/dev/null; then
        return
    fi
    echo "train.sh: creating $VENVS/$name with pip install $packages" >&2
    python3 -m venv "$VENVS/$name"
    # shellcheck disable=SC2086 # the package list is split on purpose
    "$VENVS/$name/bin/pip" install --quiet $packages || fail "pip install $packages into $VENVS/$name failed"
}

for peer in $PEERS; do
    case "$peer" in
        mxnet) ensure_venv mxnet mxnet "$MXNET_PACKAGES" ;;
        torch) ensure_venv torch torch "$TORCH_PACKAGES" ;;
    esac
done

mkdir -p "$RESULTS/logs"
measurements="$RESULTS/measurements.txt"
: > "$measurements"

# Real MNIST, packed by this build's mnist-prep so the format matches its readers.
tools/fetch-mnist "$DATA"
for split in train t10k; do
    "$BIN/mnist-prep" --images "$DATA/$split-images-idx3-ubyte.gz" --labels "$DATA/$split-labels-idx1-ubyte.gz" \
        -o "$RESULTS/$split.tkpack" > "$RESULTS/logs/pack-$split.log" 2>&1 \
        || fail "packing $split failed; see $RESULTS/logs/pack-$split.log"
done

cc -O2 -o "$RESULTS/sgemm_peak" bench/sgemm_peak.c -lopenblas || fail "building bench/sgemm_peak.c failed (it needs libopenblas-dev)"

{
    echo "date=$(date -Iseconds)"
    echo "host=$(uname -srm) cpus=$(nproc) cpu=\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')\""
    echo "checkout=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo '+uncommitted changes')"
    echo "bin=$BIN triplet-bench built $(date -r "$BIN/triplet-bench" -Iseconds)"
    echo "rounds=$rounds steps=$STEPS windows=$WINDOWS warmup=$WARMUP threads=$THREADS peers=\"$PEERS\""
    echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}"
    echo "openblas=\"$(dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Version}\n' 'libopenblas0*' 2>/dev/null \
        | awk '$1 == "ii" {print $2, $3}' | paste -sd, -)\""
} > "$RESULTS/environment.txt"

failures=0

# Prints the CPU time, in clock ticks, that all processes have used since boot.
busy_ticks() {
    awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat
}

# Runs a command with its output in LOG and sets other_load: the cores that other
# processes kept busy meanwhile, on average (the host's CPU time minus the command's own,
# over its wall time). Figures taken with other_load well above 0 were disturbed.
run_timed() {
    local log=$1
    shift
    local before wall user system
    before=$(busy_ticks)
    if ! { time "$@" > "$log" 2>&1; } 2> "$log.time"; then
        rm -f "$log.time"
        return 1
    fi
    read -r wall user system < "$log.time"
    rm -f "$log.time"
    other_load=$(awk -v ticks=$(($(busy_ticks) - before)) -v hertz="$(getconf CLK_TCK)" \
        -v wall="$wall" -v own="$user" -v own_system="$system" \
        'BEGIN { printf "%.2f", (ticks / hertz - own - own_system) / wall }')
}

# Runs one measurement and records every key=value line it prints, prefixed with the
# round, the configuration and other_load.
measure() {
    local round=$1 name=$2
    shift 2
    local log="$RESULTS/logs/round$round-$name.log"
    echo "train.sh: round $round/$rounds: $name" >&2
    if ! run_timed "$log" "$@"; then
        echo "train.sh: $name failed in round $round; see $log" >&2
        failures=$((failures + 1))
        return
    fi
    grep -E '^[a-z_]+=|^sgemm ' "$log" | sed "s/^/round=$round config=$name other_load=$other_load /" >> "$measurements"
}

TIMEFORMAT='%R %U %S'
bench_options=(--steps "$STEPS" --windows "$WINDOWS" --warmup "$WARMUP")
# Some hosts force OpenBLAS's kernel with OPENBLAS_CORETYPE (with OPENBLAS_L2_SIZE), for
# example to Haswell's AVX2 kernel on an AVX-512 processor, which halves sgemm's rate.
# TripletKit and sgemm then also run with both unset, so OpenBLAS picks its kernel from the
# CPU; MXNet's convolutions come from oneDNN, which that setting does not reach.
native=()
if [ -n "${OPENBLAS_CORETYPE:-}" ]; then
    native=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
fi
for round in $(seq 1 "$rounds"); do
    measure "$round" tripletkit-2 "$BIN/triplet-bench" train "$RESULTS/train.tkpack" --threads 2 "${bench_options[@]}"
    measure "$round" tripletkit-2-openblas "$BIN/triplet-bench" train "$RESULTS/train.tkpack" --threads 2 \
        --gemm openblas "${bench_options[@]}"
    if [ ${#native[@]} -gt 0 ]; then
        measure "$round" tripletkit-2-native "${native[@]}" "$BIN/triplet-bench" train "$RESULTS/train.tkpack" \
            --threads 2 "${bench_options[@]}"
        measure "$round" sgemm-native "${native[@]}" "$RESULTS/sgemm_peak" 5
    fi
    measure "$round" tripletkit-1 "$BIN/triplet-bench" train "$RESULTS/train.tkpack" --threads 1 "${bench_options[@]}"
    for peer in $PEERS; do
        measure "$round" "$peer" "$VENVS/$peer/bin/python" "bench/peer_$peer.py" --data "$DATA" \
            --threads "$THREADS" "${bench_options[@]}"
    done
    measure "$round" sgemm "$RESULTS/sgemm_peak" 5
done

# Peak memory of a full training run: one epoch over the 60,000 training images, then the
# test embeddings and precision@1, with the packed files mapped.
echo "train.sh: full-MNIST training run (1 epoch) for peak memory" >&2
full_log="$RESULTS/logs/full-run.log"
if [ -x /usr/bin/time ]; then
    time_command=(/usr/bin/time -v)
else
    time_command=()
fi
if run_timed "$full_log" "${time_command[@]}" "$BIN/triplet-train" --train "$RESULTS/train.tkpack" --test "$RESULTS/t10k.tkpack" \
    --out "$RESULTS/full-run" --epochs 1 --threads "$THREADS"; then
    epoch_line=$(grep -m1 '^epoch 1 ' "$full_log" || true)
    echo "config=full-run other_load=$other_load" \
        "loss=$(sed -n 's/.* loss \([0-9.]*\) .*/\1/p' <<< "$epoch_line")" \
        "triplets_per_s=$(sed -n 's/.* triplets\/s \([0-9.]*\) .*/\1/p' <<< "$epoch_line")" \
        "max_rss_kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$full_log")" \
        "wall=$(awk -F': ' '/Elapsed .wall clock. time/ {print $2}' "$full_log")" \
        "printed_peak_mib=$(sed -n 's/.*peak resident memory \([0-9]*\) MiB.*/\1/p' "$full_log")" \
        "$(grep -m1 'precision@1' "$full_log" | sed 's/test precision@1: /precision_at_1=/')" >> "$measurements"
else
    echo "train.sh: the full-MNIST run failed; see $full_log" >&2
    failures=$((failures + 1))
fi
rm -f "$RESULTS/train.tkpack" "$RESULTS/t10k.tkpack"

python3 bench/summarize_train.py "$RESULTS" | tee "$RESULTS/summary.md"
echo "train.sh: results in $RESULTS (measurements.txt, summary.md, logs/)" >&2
[ "$failures" = 0 ] || fail "$failures measurement(s) failed; the summary leaves them out"
