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
    /// Triplets per step; the network sees three times as many images.
    public var batchTriplets = 32
    public var margin: Float = 1.0
    public var learningRate = 0.01
    public var schedule: LearningRateSchedule = .poly(power: 1)
    public var weightDecay: Float = 0.0005
    public var momentum: Float = 0
    /// Keep this many training images per class (the tutorial's small set is 64).
    public var perClass: Int?
    public var seed: UInt64 = 0
    public var threads = 2
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

    /// Settings recorded in checkpoint metadata.
    var metadata: [String: String] {
        [
            "network": network.rawValue,
            "embedding_dim": String(embeddingDimension),
            "epochs": String(epochs),
            "batch_triplets": String(batchTriplets),
            "margin": String(margin),
            "lr": String(learningRate),
            "schedule": "\(schedule)",
            "weight_decay": String(weightDecay),
            "momentum": String(momentum),
            "per_class": perClass.map(String.init) ?? "all",
            "seed": String(seed),
            "negative_rule": negativeRule.rawValue,
            "loss": "triplet margin, squared Euclidean, mean over all triplets",
        ]
    }
}
