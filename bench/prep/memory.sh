#!/bin/sh
# Memory benchmark behind `make bench-prep-memory`: packs generated folders of COUNT/10
# and COUNT images (default 1,000,000) and prints mnist-prep's peak resident memory for
# each. Decoded images live only in one batch, so the peak grows with the file list and
# the labels (tens of bytes an image), not with the decoded pixels (784 bytes an image).
#
# Environment: BIN (default .build/release), DATA (default data/mnist), OUT (default
# out/bench-prep). The folders stay under OUT for reuse.
set -eu
BIN=${BIN:-.build/release}
DATA=${DATA:-data/mnist}
OUT=${OUT:-out/bench-prep}
COUNT=${1:-1000000}
mkdir -p "$OUT"

for count in $((COUNT / 10)) "$COUNT"; do
  folder="$OUT/folder-$count"
  if [ ! -d "$folder/train" ]; then
    python3 bench/prep/make_folder.py "$folder" "$count" "$DATA/train-images-idx3-ubyte.gz" "$DATA/train-labels-idx1-ubyte.gz"
  fi
  /usr/bin/time -f "%M %e" -o "$OUT/time.txt" "$BIN/mnist-prep" "$folder" -o "$OUT/folder-$count.tkpack" 2> "$OUT/prep.err" \
    || { cat "$OUT/prep.err" >&2; exit 1; }
  read -r kilobytes seconds < "$OUT/time.txt"
  decoded=$((count * 784 / 1048576))
  echo "$count images: peak memory $((kilobytes / 1024)) MiB (all decoded pixels would be $decoded MiB), $seconds s"
  rm -f "$OUT/folder-$count.tkpack"
done
