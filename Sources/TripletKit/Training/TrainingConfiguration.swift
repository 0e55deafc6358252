// Every setting of a training run. The defaults are the tutorial's ("tutorial parity"):
// 32 triplets a step concatenated into one batch of 96, margin 1.0, SGD with weight decay
// 0.0005, learning rate 0.01 decaying linearly to zero, 2-d embeddings, 100 epochs.

public struct TrainingConfiguration: Sendable {
    public var trainPath: String
    public var testPath: String?
    public var outputDirectory: String
    public var network: NetworkPreset = .convnet
    public var embeddingDimension = 2
    public var epochs = 100
    /// Triplets per step. The network processes three times as many images.
    public var batchTriplets = 32
    public var margin: Float = 1.0
    public var learningRate = 0.01
    public var schedule = LearningRateSchedule.tutorial
    public var weightDecay: Float = 0.0005
    public var momentum: Float = 0
    /// Keep this many training images per class (the tutorial's small set is 64).
    public var perClass: Int?
    public var seed: UInt64 = 0
    public var threads = 2
    /// The way threads share a step (see `Parallelism`).
    public var parallelism = Parallelism.shards
    /// The kernel behind every matrix product. `blas` parallelism always uses OpenBLAS,
    /// the only one that spreads one product over several threads.
    public var gemmKernels = GemmKernels.auto
    /// Write the test embeddings every this many epochs (and after the last); 0 = only after the last.
    public var plotEvery = 1
    public var negativeRule: NegativeClassRule = .uniform
    /// Print a live progress line on standard error; one line per epoch is always printed.
    public var showProgress = false

    public init(trainPath: String, testPath: String?, outputDirectory: String) {
        self.trainPath = trainPath
        self.testPath = testPath
        self.outputDirectory = outputDirectory
    }

    /// Steps per epoch: an epoch draws as many triplets as there are training images,
    /// rounded up to whole steps.
    public func stepsPerEpoch(trainingCount: Int) -> Int {
        max(1, (trainingCount + batchTriplets - 1) / batchTriplets)
    }

    // MARK: - Checkpoint metadata

    /// The settings that decide the weights, as stored in checkpoint metadata. A resumed
    /// run takes these from the checkpoint, so that it continues the same run.
    public var runSettings: [String: String] {
        [
            "network": network.rawValue,
            "embedding_dim": String(embeddingDimension),
            "epochs": String(epochs),
            "batch_triplets": String(batchTriplets),
            "margin": String(margin),
            "lr": String(learningRate),
            "schedule": schedule.description,
            "weight_decay": String(weightDecay),
            "momentum": String(momentum),
            "per_class": perClass.map(String.init) ?? "all",
            "seed": String(seed),
            "negative_rule": negativeRule.rawValue,
            // These two change only the last bits, but a resumed run must keep them to end
            // with the same weights.
            "parallelism": parallelism.rawValue,
            "gemm": gemmKernels.rawValue,
        ]
    }

    /// Replaces the run settings with those stored in a checkpoint's metadata.
    public mutating func applyRunSettings(_ metadata: [String: String], path: String) throws {
        func value(_ key: String) throws -> String {
            guard let text = metadata[key] else {
                throw TripletKitError("'\(path)': checkpoint metadata lacks '\(key)'",
                                      hint: "resume from a checkpoint.safetensors written by triplet-train")
            }
            return text
        }
        func invalid(_ key: String) -> TripletKitError {
            TripletKitError("'\(path)': checkpoint metadata '\(key)' has the invalid value '\(metadata[key] ?? "")'")
        }
        guard let preset = NetworkPreset(rawValue: try value("network")) else { throw invalid("network") }
        guard let embedding = Int(try value("embedding_dim")), embedding > 0 else { throw invalid("embedding_dim") }
        guard let epochs = Int(try value("epochs")), epochs > 0 else { throw invalid("epochs") }
        guard let batch = Int(try value("batch_triplets")), batch > 0 else { throw invalid("batch_triplets") }
        guard let margin = Float(try value("margin")) else { throw invalid("margin") }
        guard let rate = Double(try value("lr")) else { throw invalid("lr") }
        guard let schedule = LearningRateSchedule(description: try value("schedule")) else { throw invalid("schedule") }
        guard let decay = Float(try value("weight_decay")) else { throw invalid("weight_decay") }
        guard let momentum = Float(try value("momentum")) else { throw invalid("momentum") }
        let perClassText = try value("per_class")
        guard perClassText == "all" || Int(perClassText) != nil else { throw invalid("per_class") }
        guard let seed = UInt64(try value("seed")) else { throw invalid("seed") }
        guard let rule = NegativeClassRule(rawValue: try value("negative_rule")) else { throw invalid("negative_rule") }
        // Checkpoints written before these keys existed ran with the defaults.
        guard let parallelism = Parallelism(rawValue: metadata["parallelism"] ?? Parallelism.shards.rawValue) else {
            throw invalid("parallelism")
        }
        guard let kernels = GemmKernels(rawValue: metadata["gemm"] ?? GemmKernels.auto.rawValue) else { throw invalid("gemm") }

        network = preset
        embeddingDimension = embedding
        self.epochs = epochs
        batchTriplets = batch
        self.margin = margin
        learningRate = rate
        self.schedule = schedule
        weightDecay = decay
        self.momentum = momentum
        perClass = Int(perClassText)
        self.seed = seed
        negativeRule = rule
        self.parallelism = parallelism
        gemmKernels = kernels
    }
}

/// The ways a training step can use several threads. Each step's batch is split into the same
/// fixed shards either way.
public enum Parallelism: String, CaseIterable, Sendable {
    /// The shards run at once, each on its own thread with single-threaded products.
    /// Weights are bit-identical for every thread count.
    case shards
    /// The shards run one after another, and OpenBLAS splits each matrix product over the
    /// threads while element-wise work stays on one thread. Every product then runs on OpenBLAS.
    /// NOTE: OpenBLAS's threaded products can round differently from its one-thread ones
    /// (seen with its Haswell kernel), so weights may differ from `shards` in the last bits.
    case blas
}
