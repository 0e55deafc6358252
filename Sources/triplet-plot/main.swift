// triplet-plot: draws embeddings files (written by triplet-train) as scatter plots, one
// PNG per file, all with the same axis limits so that epochs can be compared.

import Foundation
import TripletKit

let spec = CommandSpec(
    name: "triplet-plot",
    overview: "Draw embeddings files as scatter plots coloured by class, one PNG per file.",
    arguments: [
        ArgumentSpec("embeddings", help: "Embeddings files from triplet-train; '-' reads standard input.", repeated: true),
    ],
    options: [
        OptionSpec("--output", value: "png", short: "-o", required: true,
                   help: "PNG to write, a folder, or '-' for standard output (single input only)."),
        OptionSpec("--width", value: "px", default: "800", help: "Image width in pixels."),
        OptionSpec("--height", value: "px", default: "800", help: "Image height in pixels."),
        OptionSpec("--title", value: "text", default: ScatterPlot.defaultTitle,
                   help: "Plot title; {epoch} is replaced by the file's epoch number."),
        OptionSpec("--point-radius", value: "px", default: "1.5", help: "Radius of each point in pixels."),
    ],
    discussion: """
        OUTPUT NAMES:
          One input is written to <png> as given. With several inputs, the epoch number goes
          before the extension: -o out/scatter.png writes out/scatter-epoch001.png,
          out/scatter-epoch002.png, ... When <png> is an existing folder, the files are
          <png>/scatter-epoch001.png and so on, for one input too.

        AXES AND COLOURS:
          All plots of one run share axis limits: the range of the first two dimensions over
          every input, plus 5% on each side, widened on one axis so that both axes have the
          same scale. Embeddings with more than two dimensions are plotted by their first
          two, and the title says so. Class k always has the k-th palette colour.

        EXAMPLES:
          triplet-plot runs/a/embeddings-epoch005.tsv -o scatter.png
          triplet-plot runs/a/embeddings-epoch*.tsv -o runs/a/plots/
        """)

/// Returns the path of each plot: `output` itself for one input, else `output` with
/// "-epochNNN" before its extension, or scatter-epochNNN.png inside a folder.
func outputPaths(for sets: [EmbeddingSet], output: String) throws -> [String] {
    var isFolder: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: output, isDirectory: &isFolder)
    if output.hasSuffix("/") && !(exists && isFolder.boolValue) {
        throw TripletKitError("output folder '\(output)' not found", hint: "create it first, or give a file name")
    }
    let inFolder = exists && isFolder.boolValue
    if sets.count == 1 && !inFolder {
        return [output]
    }
    let base = inFolder ? URL(fileURLWithPath: output).appendingPathComponent("scatter.png") : URL(fileURLWithPath: output)
    let fileExtension = base.pathExtension
    let stem = base.deletingPathExtension()
    return sets.map { set in
        let epoch = set.epoch >= 0 ? String(format: "%03d", set.epoch) : String(set.epoch)
        let name = stem.lastPathComponent + "-epoch" + epoch
        let file = stem.deletingLastPathComponent().appendingPathComponent(name)
        let path = fileExtension.isEmpty ? file.path : file.appendingPathExtension(fileExtension).path
        // Keep a relative -o relative, so that messages show what the user typed.
        return output.hasPrefix("/") ? path : relativePath(path)
    }
}

func relativePath(_ path: String) -> String {
    let current = FileManager.default.currentDirectoryPath + "/"
    return path.hasPrefix(current) ? String(path.dropFirst(current.count)) : path
}

// Ctrl-C or a kill removes the unfinished output's temporary file before exiting.
TemporaryFiles.removeOnSignal()

runCommand(spec) { parsed in
    let inputs = parsed.positionals
    let output = try parsed.requiredString("--output")
    var options = ScatterPlotOptions()
    options.width = try parsed.int("--width", min: ScatterPlot.minimumSize, max: 20000)
    options.height = try parsed.int("--height", min: ScatterPlot.minimumSize, max: 20000)
    options.title = try parsed.requiredString("--title")
    options.pointRadius = try parsed.double("--point-radius", positive: true)
    guard options.pointRadius <= 50 else {
        throw UsageError("invalid value '\(options.pointRadius)' for '--point-radius': must be at most 50")
    }
    if inputs.filter({ $0 == "-" }).count > 1 {
        throw UsageError("standard input ('-') can be read only once")
    }
    if output == "-" && inputs.count > 1 {
        throw UsageError("'-o -' writes one PNG to standard output, but \(inputs.count) inputs were given; use a file name or a folder")
    }

    let sets = try inputs.map { try EmbeddingSet.read(path: $0) }
    let limits = try AxisLimits.common(for: sets)
    let paths = output == "-" ? ["-"] : try outputPaths(for: sets, output: output)

    // Two inputs of the same epoch would overwrite one plot with the other.
    var firstInput: [String: String] = [:]
    for (input, path) in zip(inputs, paths) {
        if let earlier = firstInput[path] {
            throw TripletKitError("inputs '\(earlier)' and '\(input)' have the same epoch, so both plots would be written to '\(path)'",
                                  hint: "plot them in separate runs with different -o names")
        }
        firstInput[path] = input
    }

    for (set, path) in zip(sets, paths) {
        let image = try ScatterPlot.render(set, limits: limits, options: options)
        try PNG.write(image, to: path)
        let destination = path == "-" ? "standard output" : path
        printError("triplet-plot: wrote \(destination): epoch \(set.epoch), \(set.count) points, \(set.classNames.count) classes")
    }
    let format = { (value: Double) in String(format: "%.4g", value) }
    printError("triplet-plot: axis limits x \(format(limits.xMin))...\(format(limits.xMax)), y \(format(limits.yMin))...\(format(limits.yMax))")
    return ExitStatus.success
}
