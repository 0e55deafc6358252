// mnist-prep: packs MNIST-style data into one packed dataset file: an IDX image/label
// pair, a zip archive or folder of class folders of images, or a Kaggle-style CSV file.
// It also inspects (`info`) and checks (`verify`) packed files.

import Foundation
import TripletKit
import TripletKitIngest

let packSpec = CommandSpec(
    name: "mnist-prep",
    overview: "Pack MNIST-style images (IDX pair, zip archive, image folder or CSV) into one packed dataset file with a class index.",
    arguments: [ArgumentSpec("input", help: "A zip archive or folder laid out as <split>/<class>/<image> (one wrapper folder above the splits is accepted), or a CSV file (.csv), or a packed dataset to convert with --channels or --size. Omit it with --images and --labels.", optional: true)],
    options: [
        OptionSpec("--output", value: "path", short: "-o", required: true, help: "Packed dataset to write; it appears only when packing succeeds."),
        OptionSpec("--images", value: "path", help: "IDX images file (magic 2051), gzip or raw."),
        OptionSpec("--labels", value: "path", help: "IDX labels file (magic 2049), gzip or raw."),
        OptionSpec("--transpose", help: "IDX only: swap each image's rows and columns, which turns EMNIST's stored images upright."),
        OptionSpec("--class-names", value: "list", help: "IDX only: comma-separated class names in label order (default: the label values)."),
        OptionSpec("--split", value: "name", default: "train", help: "Archive or folder: the split folder to pack, matched without regard to letter case."),
        OptionSpec("--channels", value: "n", default: "1", help: "Channels to pack: 1 (gray, BT.601 luma of color images) or 3 (RGB)."),
        OptionSpec("--size", value: "WxH", help: "Resize every image to W by H pixels, with \(ImageResizing.interpolationName). Without it all images must have one size. The tutorial's input (and resnet-mini's) is --channels 3 --size 32x32."),
        OptionSpec("--skip-bad", help: "Archive or folder: leave out images that do not decode and list them, instead of failing."),
        OptionSpec("--per-class", value: "n", help: "IDX, archive or folder: keep n images per class, chosen with --seed (the tutorial's small set is 64)."),
        OptionSpec("--seed", value: "n", default: "0", help: "Seed for choosing the --per-class images."),
        OptionSpec("--threads", value: "n", default: "all cores", help: "Threads that decode images."),
    ],
    discussion: """
        INPUTS:
          mnist-prep --images train-images-idx3-ubyte.gz --labels train-labels-idx1-ubyte.gz -o train.tkpack
          mnist-prep mnist.zip --split test -o test.tkpack        (mnist/test/3/00017.png, ...)
          mnist-prep train.csv -o train.tkpack                   (label,pixel0,...,pixel783)
          mnist-prep train.tkpack --channels 3 --size 32x32 -o train32.tkpack   (convert a packed file)

        Images may be PNG, JPEG or BMP: 8- or 16-bit gray, gray with alpha, RGB, RGBA or
        palette. 16-bit samples round to 8 bits, alpha composites onto black, and the same
        image stored losslessly in any of these formats packs to the same pixels. Class
        folders named with a number keep that number as class id, so folders 1, 2, 3 give
        an empty class 0 (IDX labels 1..26 instead become ids 0..25). Images are packed in
        file-name order, numbers compared by value, then by class, whatever the order of
        the archive's entries, so digits named by their MNIST index keep MNIST's order.
        Metadata, hidden files and files that are not images are skipped and listed in the
        summary.

        SUBCOMMANDS:
          mnist-prep info <file>     Print the count, shape, per-class counts and checksum state.
          mnist-prep verify <file>   Check the header, the class index and every section checksum; exit 1 if one fails.
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

/// Parses "WxH" into a size of 1 to 4096 pixels a side.
func parseSize(_ text: String) throws(UsageError) -> (width: Int, height: Int) {
    let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
    guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]),
          (1...4096).contains(width), (1...4096).contains(height) else {
        throw UsageError("invalid value '\(text)' for '--size': expected WxH with each side from 1 to 4096, such as 32x32")
    }
    return (width, height)
}

/// Rejects options that do not apply to the chosen kind of input.
func rejectOptions(_ names: [String], _ parsed: ParsedArguments, for kind: String) throws(UsageError) {
    for name in names where parsed.has(name) {
        throw UsageError("option '\(name)' does not apply to \(kind)")
    }
}

/// Returns "1 image", "2 images" and so on.
func counted(_ count: Int, _ singular: String, plural: String? = nil) -> String {
    "\(count) " + (count == 1 ? singular : plural ?? singular + "s")
}

func printReport(_ report: IngestReport, output: String, started: Date) {
    let summary = report.summary
    let counts = zip(summary.classNames, summary.perClassCounts).map { "\($0)=\($1)" }.joined(separator: " ")
    printError("mnist-prep: wrote \(output): \(counted(summary.count, "image")) of \(summary.channels)x\(summary.height)x\(summary.width), \(counted(summary.classNames.count, "class", plural: "classes")) (\(counts))")
    if !report.splitPath.isEmpty {
        let others = report.otherSplits.map { "\($0.name) (\($0.images) images)" }.joined(separator: ", ")
        printError("mnist-prep: split folder '\(report.splitPath)'" + (others.isEmpty ? "" : "; other splits: \(others)"))
    }
    for name in report.emptyClasses {
        printError("mnist-prep: warning: class '\(name)' has no images; it is kept so that class ids stay stable, and samplers never draw from it")
    }
    if report.skipped.total > 0 {
        var parts: [String] = []
        for reason in SkipReason.allCases {
            guard let count = report.skipped.counts[reason] else { continue }
            let examples = report.skipped.examples[reason, default: []].joined(separator: ", ")
            parts.append("\(count) \(reason.rawValue) (\(examples)\(count > SkippedEntries.exampleLimit ? ", ..." : ""))")
        }
        printError("mnist-prep: skipped \(counted(report.skipped.total, "entry", plural: "entries")): " + parts.joined(separator: "; "))
    }
    let peak = ResourceUsage.peakResidentBytes().map { ", peak memory \($0 >> 20) MiB" } ?? ""
    printError(String(format: "mnist-prep: %.2f s", Date().timeIntervalSince(started)) + peak)
}

// libzip converts every entry's DOS time with mktime, and glibc's mktime stats
// /etc/localtime on each call unless TZ is set: 70,000 system calls for MNIST. The value
// names the same zone file, so local times do not change.
if getenv("TZ") == nil { setenv("TZ", ":/etc/localtime", 0) }

/// Returns a hidden, unique file name in the folder of `path`.
func temporaryPath(near path: String) -> String {
    let url = URL(fileURLWithPath: path)
    return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).idx-\(getpid()).tkpack").path
}

/// Tells whether `path` is a file that starts with the packed dataset magic.
func isPackedDataset(_ path: String) -> Bool {
    guard let handle = FileHandle(forReadingAtPath: path) else { return false }
    defer { try? handle.close() }
    return (try? handle.read(upToCount: 4)).map { Array($0) == PackedFormat.magic } ?? false
}

// Ctrl-C or a kill removes the unfinished output's temporary file before exiting.
TemporaryFiles.removeOnSignal()

/// Opens a packed dataset, reading standard input when `path` is "-".
func openPacked(_ path: String) throws -> PackedDataset {
    path == "-" ? try PackedDataset(contents: readWholeFile("-"), path: "standard input") : try PackedDataset(path: path)
}

/// Packs into a temporary file when the output is standard output ("-"), then copies it
/// there, because the packed writer seeks back to write its header.
func withOutputPath(_ output: String, _ pack: (String) throws -> Void) throws {
    guard output == "-" else { return try pack(output) }
    let temporary = NSTemporaryDirectory() + "mnist-prep-\(getpid())-\(UUID().uuidString).tkpack"
    defer { unlink(temporary) }
    try pack(temporary)
    try writeFileAtomically(readWholeFile(temporary), to: "-")
}

/// Packs the input that `parsed` names into `output`; messages call the output
/// `reportedName`.
func pack(_ parsed: ParsedArguments, to output: String, reportedName: String, started: Date) throws {
    var options = ImagePackingOptions()
    options.channels = Int(try parsed.choice("--channels", ["1", "3"]))!
    options.size = try parsed.string("--size").map(parseSize)
    options.split = try parsed.requiredString("--split")
    options.skipBad = parsed.flag("--skip-bad")
    options.perClass = try parsed.optionalInt("--per-class", min: 1)
    options.seed = try parsed.seed()
    options.threads = parsed.string("--threads") == "all cores"
        ? ProcessInfo.processInfo.activeProcessorCount : try parsed.int("--threads", min: 1, max: 256)

    guard let input = parsed.positionals.first else {
        guard parsed.has("--images"), parsed.has("--labels") else {
            throw UsageError("missing input: pass an archive, folder or CSV file, or both --images and --labels")
        }
        try rejectOptions(["--split", "--skip-bad", "--threads"], parsed, for: "IDX files")
        let names = parsed.string("--class-names").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        // With --channels 3 or --size, the IDX images are packed as they are into a
        // temporary file next to the output and converted from there.
        let converting = options.channels != 1 || options.size != nil
        let packedPath = converting ? temporaryPath(near: output) : output
        defer { if converting { unlink(packedPath) } }
        var summary = try IDXPacking.pack(
            imagesPath: try parsed.requiredString("--images"),
            labelsPath: try parsed.requiredString("--labels"),
            outputPath: packedPath,
            perClass: options.perClass,
            seed: options.seed,
            classNames: names,
            transpose: parsed.flag("--transpose"))
        if converting {
            summary = try PackedConversion.convert(try PackedDataset(path: packedPath), outputPath: output,
                                                   channels: options.channels, size: options.size)
        }
        printReport(IngestReport(summary: summary), output: reportedName, started: started)
        return
    }
    if isPackedDataset(input) {
        // A packed dataset in, converted to other channels or another size.
        try rejectOptions(["--images", "--labels", "--transpose", "--class-names", "--split", "--skip-bad",
                           "--per-class", "--threads"], parsed, for: "a packed dataset")
        guard parsed.has("--channels") || parsed.has("--size") else {
            throw UsageError("'\(input)' is already a packed dataset; pass --channels or --size to convert it")
        }
        let summary = try PackedConversion.convert(try PackedDataset(path: input), outputPath: output,
                                                   channels: options.channels, size: options.size)
        printReport(IngestReport(summary: summary), output: reportedName, started: started)
        return
    }
    if parsed.has("--images") || parsed.has("--labels") {
        throw UsageError("pass either an input archive, folder or CSV file, or --images and --labels, not both")
    }
    try rejectOptions(["--transpose", "--class-names"], parsed, for: "archives, folders or CSV files")
    let report: IngestReport
    if input.lowercased().hasSuffix(".csv") {
        try rejectOptions(["--split", "--skip-bad", "--per-class"], parsed, for: "CSV files")
        report = try CSVPacking.pack(path: input, outputPath: output, options: options)
    } else {
        report = try ImageFolderPacking.pack(inputPath: input, outputPath: output, options: options)
    }
    printReport(report, output: reportedName, started: started)
}

let arguments = Array(CommandLine.arguments.dropFirst())

switch arguments.first {
case "info":
    runCommand(inspectSpec, arguments: Array(arguments.dropFirst())) { parsed in
        let dataset = try openPacked(parsed.positionals[0])
        let failures = dataset.verify()
        printOutput("file\t\(dataset.path)")
        printOutput("samples\t\(dataset.count)")
        printOutput("shape\t\(dataset.channels)x\(dataset.height)x\(dataset.width)")
        printOutput("classes\t\(dataset.classCount)")
        for (name, members) in zip(dataset.classNames, dataset.classMembers) {
            printOutput("class\t\(name)\t\(members.count)")
        }
        printOutput("checksum\t" + (failures.isEmpty ? "ok" : "FAILED (\(failures.joined(separator: ", ")))"))
        guard failures.isEmpty else {
            printError("Error: '\(dataset.path)': checksum mismatch in \(failures.joined(separator: ", "))")
            printError("Hint: repack the file with mnist-prep")
            return ExitStatus.failure
        }
        return ExitStatus.success
    }

case "verify":
    runCommand(verifySpec, arguments: Array(arguments.dropFirst())) { parsed in
        let path = parsed.positionals[0]
        let failures = try openPacked(path).verify()
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
        let started = Date()
        let output = try parsed.requiredString("--output")
        try withOutputPath(output) { path in
            try pack(parsed, to: path, reportedName: output == "-" ? "standard output" : path, started: started)
        }
        return ExitStatus.success
    }
}
