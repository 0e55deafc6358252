// triplet-sample: draws random triplets from a packed dataset as a PNG mosaic, to check
// the sampler and the data by eye before training.

import TripletKit

let spec = CommandSpec(
    name: "triplet-sample",
    overview: "Draw random (anchor, positive, negative) triplets from a packed dataset as a PNG mosaic.",
    arguments: [ArgumentSpec("packed", help: "Packed dataset written by mnist-prep.")],
    options: [
        OptionSpec("--count", value: "n", default: "8", help: "Number of triplets, one mosaic row each (1 to 1000)."),
        OptionSpec("--seed", value: "n", default: "0", help: "Seed of the SplitMix64 generator that draws the triplets."),
        OptionSpec("--output", value: "png", short: "-o", required: true, help: "PNG to write, or '-' for standard output."),
        OptionSpec("--negative-rule", value: "rule", default: NegativeClassRule.uniform.rawValue,
                   help: "How the negative class is drawn: 'uniform' over the other classes, or 'next-class' (the tutorial's rule, which draws the class after the anchor's twice as often)."),
        OptionSpec("--scale", value: "n", default: "3", help: "Enlargement of each image, in screen pixels per image pixel (1 to \(TripletMosaic.maxImageScale))."),
    ])

// Ctrl-C or a kill removes the unfinished output's temporary file before exiting.
TemporaryFiles.removeOnSignal()

runCommand(spec) { parsed in
    let path = parsed.positionals[0]
    let output = try parsed.requiredString("--output")
    // The cap keeps a mistyped count from sampling millions of triplets before the
    // mosaic's size check; 1000 rows of 28x28 images at scale 3 are 108,000 pixels tall.
    let count = try parsed.int("--count", min: 1, max: 1000)
    let seed = try parsed.seed()
    let ruleName = try parsed.choice("--negative-rule", NegativeClassRule.allCases.map(\.rawValue))
    let rule = NegativeClassRule(rawValue: ruleName) ?? .uniform
    var options = TripletMosaicOptions()
    options.imageScale = try parsed.int("--scale", min: 1, max: TripletMosaic.maxImageScale)

    let dataset = try PackedDataset.openVerified(path: path)
    let sampler = try RandomTripletSampler(classMembers: dataset.classMembers, negativeRule: rule)
    var generator = SplitMix64(seed: seed)
    let triplets = sampler.sample(count: count, using: &generator)
    let image = try TripletMosaic.render(triplets, from: dataset, options: options)
    try PNG.write(image, to: output)

    let destination = output == "-" ? "standard output" : output
    printError("triplet-sample: wrote \(destination): \(count) triplets from \(path) (\(dataset.count) images, \(dataset.classCount) classes), seed \(seed), negative rule \(rule.rawValue), \(image.width)x\(image.height) pixels")
    return ExitStatus.success
}
