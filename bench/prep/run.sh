#!/bin/sh
# The packing benchmark behind `make bench-prep`. Each task runs ROUNDS times (default 3)
# for mnist-prep and for the Python reference (reference.py). The table shows the fastest
# wall-clock time of each, process start included. It also prints the core count and the
# load average, because other work on the machine slows both sides.
#
# Environment: BIN (folder with mnist-prep, default .build/release), DATA (MNIST IDX gzip
# files, default data/mnist), OUT (work folder, default out/bench-prep), ROUNDS.
set -eu
BIN=${BIN:-.build/release}
DATA=${DATA:-data/mnist}
OUT=${OUT:-out/bench-prep}
ROUNDS=${ROUNDS:-3}
VENV=${VENV:-.venv-bench-prep}
mkdir -p "$OUT"

for name in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
  [ -f "$DATA/$name" ] || { echo "bench-prep: $DATA/$name not found; run tools/fetch-mnist $DATA" >&2; exit 1; }
done

# Pillow in a virtual environment that reuses the system's numpy.
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv --system-site-packages "$VENV"
  "$VENV/bin/pip" install --quiet pillow
fi
PYTHON="$VENV/bin/python"

ZIP="$OUT/mnist-png.zip"
if [ ! -f "$ZIP" ]; then
  python3 bench/prep/make_png_zip.py "$ZIP" \
    "train=$DATA/train-images-idx3-ubyte.gz,$DATA/train-labels-idx1-ubyte.gz" \
    "test=$DATA/t10k-images-idx3-ubyte.gz,$DATA/t10k-labels-idx1-ubyte.gz"
fi

# Prints the fastest of ROUNDS runs of a command, in seconds.
fastest() {
  best=""
  i=0
  while [ "$i" -lt "$ROUNDS" ]; do
    start=$(date +%s.%N)
    "$@" > /dev/null 2> "$OUT/last.err" || { cat "$OUT/last.err" >&2; exit 1; }
    end=$(date +%s.%N)
    best=$(echo "$start $end ${best:-1e9}" | awk '{ t = $2 - $1; print (t < $3) ? t : $3 }')
    i=$((i + 1))
  done
  echo "$best"
}

pack_zip_both() {
  "$BIN/mnist-prep" "$ZIP" --split train -o "$OUT/zip-train.tkpack" && "$BIN/mnist-prep" "$ZIP" --split test -o "$OUT/zip-test.tkpack"
}
reference_zip_both() {
  "$PYTHON" bench/prep/reference.py zip "$ZIP" train "$OUT/ref-train.npz" && "$PYTHON" bench/prep/reference.py zip "$ZIP" test "$OUT/ref-test.npz"
}

idx_prep=$(fastest "$BIN/mnist-prep" --images "$DATA/train-images-idx3-ubyte.gz" --labels "$DATA/train-labels-idx1-ubyte.gz" -o "$OUT/idx-train.tkpack")
idx_ref=$(fastest "$PYTHON" bench/prep/reference.py idx "$DATA/train-images-idx3-ubyte.gz" "$DATA/train-labels-idx1-ubyte.gz" "$OUT/ref-idx.npz")
zip_prep=$(fastest pack_zip_both)
zip_ref=$(fastest reference_zip_both)

# The zip of PNGs must pack to the same bytes as the IDX files.
if cmp -s "$OUT/idx-train.tkpack" "$OUT/zip-train.tkpack"; then same="yes"; else same="NO"; fi

echo "mnist-prep packing benchmark: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), fastest of $ROUNDS runs"
printf '%-44s %12s %12s %9s\n' "task" "mnist-prep" "python ref" "speed-up"
printf '%-44s %10.2f s %10.2f s %8.1fx\n' "IDX gzip -> packed, 60,000 train images" "$idx_prep" "$idx_ref" "$(echo "$idx_ref $idx_prep" | awk '{ print $1 / $2 }')"
printf '%-44s %10.2f s %10.2f s %8.1fx\n' "zip of PNG -> packed, 60,000 + 10,000 images" "$zip_prep" "$zip_ref" "$(echo "$zip_ref $zip_prep" | awk '{ print $1 / $2 }')"
echo "zip train split packs byte-identically to the IDX files: $same"
echo "goals: IDX under 1 s; zip at least 5x faster than the Python reference"
