// mnist-prep: packs an MNIST-style IDX image/label pair into one packed dataset file,
// and inspects (`info`) or checks (`verify`) packed files.

import TripletKit

let packSpec = CommandSpec(
    name: "mnist-prep",
    overview: "Pack an IDX image/label pair (gzip or raw) into one packed dataset file with a class index.",
    options: [
        OptionSpec("--images", value: "path", required: true, help: "IDX images file (magic 2051), gzip or raw."),
        OptionSpec("--labels", value: "path", required: true, help: "IDX labels file (magic 2049), gzip or raw."),
        OptionSpec("--output", value: "path", short: "-o", required: true, help: "Packed dataset to write."),
        OptionSpec("--per-class", value: "n", help: "Keep n images per class, chosen with --seed (the tutorial's small set is 64)."),
        OptionSpec("--seed", value: "n", default: "0", help: "Seed for choosing the --per-class images."),
        OptionSpec("--class-names", value: "list", help: "Comma-separated class names in label order (default: the label values)."),
    ],
    discussion: """
        SUBCOMMANDS:
          mnist-prep info <file>     Print the count, shape, per-class counts and checksum state.
          mnist-prep verify <file>   Check every section checksum; exit 1 if one fails.
        """)

let inspectSpec = CommandSpec(
    name: "mnist-prep info",
    overview: "Print a packed dataset's sample count, image shape, per-class counts and checksum state.",
    arguments: [ArgumentSpec("file", help: "Packed dataset file.")],
    options: [])

let verifySpec = CommandSpec(
    name: "mnist-prep verify",
    overview: "Check a packed dataset's header, class index and every section checksum.",
    arguments: [ArgumentSpec("file", help: "Packed dataset file.")],
    options: [])

let arguments = Array(CommandLine.arguments.dropFirst())

switch arguments.first {
case "info":
    runCommand(inspectSpec, arguments: Array(arguments.dropFirst())) { parsed in
        let dataset = try PackedDataset(path: parsed.positionals[0])
        let failures = dataset.verify()
        printOutput("file\t\(dataset.path)")
        printOutput("samples\t\(dataset.count)")
        printOutput("shape\t\(dataset.channels)x\(dataset.height)x\(dataset.width)")
        printOutput("classes\t\(dataset.classCount)")
        for (name, members) in zip(dataset.classNames, dataset.classMembers) {
            printOutput("class\t\(name)\t\(members.count)")
        }
        printOutput("checksum\t" + (failures.isEmpty ? "ok" : "FAILED (\(failures.joined(separator: ", ")))"))
        return ExitStatus.success
    }

case "verify":
    runCommand(verifySpec, arguments: Array(arguments.dropFirst())) { parsed in
        let path = parsed.positionals[0]
        let failures = try PackedDataset(path: path).verify()
        guard failures.isEmpty else {
            printError("Error: '\(path)': checksum mismatch in \(failures.joined(separator: ", "))")
            printError("Hint: regenerate the file with mnist-prep")
            return ExitStatus.failure
        }
        printOutput("\(path): ok")
        return ExitStatus.success
    }

default:
    runCommand(packSpec, arguments: arguments) { parsed in
        let output = try parsed.requiredString("--output")
        let names = parsed.string("--class-names").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        let summary = try IDXPacking.pack(
            imagesPath: try parsed.requiredString("--images"),
            labelsPath: try parsed.requiredString("--labels"),
            outputPath: output,
            perClass: try parsed.optionalInt("--per-class", min: 1),
            seed: try parsed.seed(),
            classNames: names)
        let counts = zip(summary.classNames, summary.perClassCounts).map { "\($0)=\($1)" }.joined(separator: " ")
        printError("mnist-prep: wrote \(output): \(summary.count) images of 1x\(summary.height)x\(summary.width), \(summary.classNames.count) classes (\(counts))")
        return ExitStatus.success
    }
}
