# TripletKit: build, test and run the end-to-end demo.
#
#   make            release build of every tool into .build/release
#   make test       install missing apt packages, then run the Swift tests
#   make demo       the main job on real MNIST: fetch, prep, sample, train, plot (into out/)
#   make golden-record   re-record the golden PNGs after an intended drawing change
#   make bench      benchmarks against the peers, into bench/results/ (see bench/README.md)
#   make clean      remove build outputs and out/

SWIFT ?= swift
# Release builds for the tools; -c debug is enough for the tests, which run small data.
RELEASE_FLAGS ?= -c release
BIN := .build/release

# Debian packages the build links against. The split OpenCV packages are enough and much
# smaller than libopencv-dev.
APT_PACKAGES := libopenblas-dev libpng-dev zlib1g-dev libzip-dev pkg-config \
	libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev

# The demo: full MNIST, DEMO_EPOCHS epochs of the tutorial's settings, chosen so that
# apt, build, fetch and training fit in 15 minutes on 2 cores.
DATA ?= data/mnist
OUT ?= out
DEMO_EPOCHS ?= 8
DEMO_PLOT_EVERY ?= 2
DEMO_SEED ?= 0
DEMO_THREADS ?= 2

.PHONY: all build deps test demo golden-record clean

all: build

build: deps
	$(SWIFT) build $(RELEASE_FLAGS)

# Installs whichever of APT_PACKAGES is missing; prints what it found either way.
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
		if dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed"; then echo "✓ $$p"; \
		else echo "✗ $$p (will install)"; missing="$$missing $$p"; fi; done; \
	if [ -n "$$missing" ]; then \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

golden-record: deps
	RECORD_GOLDEN=1 $(SWIFT) test --filter RenderTests || true
	@echo "Golden images re-recorded in Tests/TripletKitTests/Golden; review them with git diff, then run make test."

demo: build
	tools/fetch-mnist $(DATA)
	@mkdir -p $(OUT)
	$(BIN)/mnist-prep --images $(DATA)/train-images-idx3-ubyte.gz --labels $(DATA)/train-labels-idx1-ubyte.gz -o $(OUT)/train.tkpack
	$(BIN)/mnist-prep --images $(DATA)/t10k-images-idx3-ubyte.gz --labels $(DATA)/t10k-labels-idx1-ubyte.gz -o $(OUT)/test.tkpack
	$(BIN)/triplet-sample $(OUT)/train.tkpack --count 8 --seed $(DEMO_SEED) -o $(OUT)/triplets.png
	rm -f $(OUT)/run/embeddings-epoch*.tsv
	$(BIN)/triplet-train --train $(OUT)/train.tkpack --test $(OUT)/test.tkpack --out $(OUT)/run \
		--epochs $(DEMO_EPOCHS) --plot-every $(DEMO_PLOT_EVERY) --seed $(DEMO_SEED) --threads $(DEMO_THREADS) \
		| tee $(OUT)/precision.txt
	$(BIN)/triplet-plot $(OUT)/run/embeddings-epoch*.tsv -o $(OUT)/scatter.png
	@echo "Demo outputs in $(OUT)/: triplets.png, scatter-epoch*.png, run/model.safetensors"
	@cat $(OUT)/precision.txt

# Benchmarks. bench-train compares training throughput with MXNet and PyTorch and
# measures peak memory; it creates the peers' virtual environments under .venv-bench/
# on first use (pip, about 6 GB with PyTorch's CUDA wheels).
BENCH_ROUNDS ?= 3

.PHONY: bench bench-train

bench: bench-train

bench-train: build
	BIN=$(BIN) DATA=$(DATA) bench/train.sh $(BENCH_ROUNDS)

clean:
	rm -rf .build $(OUT)

# Packing benchmark: mnist-prep on the IDX gzip files and on a zip of the 70,000 MNIST
# digits as PNG files, each next to a Python reference (Pillow into numpy) doing the same
# work on the same machine. Inputs and a Pillow virtual environment go under out/bench-prep/
# and .venv-bench-prep/. bench-prep-memory packs a generated folder of PREP_MEMORY_IMAGES
# images and reports peak memory.
PREP_MEMORY_IMAGES ?= 1000000

.PHONY: bench-prep bench-prep-memory fuzz

bench: bench-prep

bench-prep: build
	BIN=$(BIN) DATA=$(DATA) OUT=$(OUT)/bench-prep bench/prep/run.sh

bench-prep-memory: build
	BIN=$(BIN) OUT=$(OUT)/bench-prep bench/prep/memory.sh $(PREP_MEMORY_IMAGES)

# libFuzzer on every mnist-prep reader (IDX, CSV, packed file, zip entries), FUZZ_SECONDS
# each; findings go to fuzz/findings/ (see fuzz/README.md).
FUZZ_SECONDS ?= 300

fuzz:
	fuzz/build.sh
	fuzz/run.sh $(FUZZ_SECONDS)
