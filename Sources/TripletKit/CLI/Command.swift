// A small command-line parser shared by every TripletKit tool, with the conventions of
// swift-argument-parser. Help has OVERVIEW / USAGE / ARGUMENTS / OPTIONS sections with
// every option's default. Bad input prints "Error: ..." and the usage line. The exit
// status is 0 for success and --help, 64 for a usage error and 1 for a runtime failure.

#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// One `--name VALUE` option or `--name` flag of a command.
public struct OptionSpec: Sendable {
    public var name: String
    /// Placeholder for the value in help text, or nil for a flag that takes no value.
    public var valueName: String?
    public var help: String
    /// Default shown in help and returned when the option is absent; nil means no default.
    public var defaultValue: String?
    public var shortName: String?
    /// A required option must be given; parsing fails without it.
    public var isRequired: Bool

    public init(_ name: String, value: String? = nil, short: String? = nil,
                default defaultValue: String? = nil, required: Bool = false, help: String) {
        self.name = name
        self.valueName = value
        self.help = help
        self.defaultValue = defaultValue
        self.shortName = short
        self.isRequired = required
    }

    public var isFlag: Bool { valueName == nil }
}

/// A positional argument of a command, for help text and for counting.
public struct ArgumentSpec: Sendable {
    public var name: String
    public var help: String
    /// A repeated argument takes one or more values.
    public var isRepeated: Bool
    public var isOptional: Bool

    public init(_ name: String, help: String, repeated: Bool = false, optional: Bool = false) {
        self.name = name
        self.help = help
        self.isRepeated = repeated
        self.isOptional = optional
    }
}

/// The help screen and parsing rules of one tool or subcommand.
public struct CommandSpec: Sendable {
    public var name: String
    public var overview: String
    public var arguments: [ArgumentSpec]
    public var options: [OptionSpec]
    /// Extra paragraphs printed after the options, for examples and notes.
    public var discussion: String?

    public init(name: String, overview: String, arguments: [ArgumentSpec] = [],
                options: [OptionSpec], discussion: String? = nil) {
        self.name = name
        self.overview = overview
        self.arguments = arguments
        self.options = options + [OptionSpec("--help", short: "-h", help: "Show help information.")]
        self.discussion = discussion
    }

    /// The one-line usage, for example `triplet-plot <embeddings> ... -o <png> [--title <text>]`.
    public var usageLine: String {
        var parts = [name]
        for argument in arguments {
            var text = "<\(argument.name)>"
            if argument.isRepeated { text += " ..." }
            if argument.isOptional { text = "[\(text)]" }
            parts.append(text)
        }
        for option in options where option.name != "--help" {
            let spelled = option.shortName ?? option.name
            let text = option.isFlag ? spelled : "\(spelled) <\(option.valueName!)>"
            parts.append(option.isRequired ? text : "[\(text)]")
        }
        return parts.joined(separator: " ")
    }

    public var helpText: String {
        var lines = ["OVERVIEW: \(overview)", "", "USAGE: \(usageLine)", ""]
        if !arguments.isEmpty {
            lines.append("ARGUMENTS:")
            for argument in arguments {
                lines.append(Self.row("<\(argument.name)>", argument.help))
            }
            lines.append("")
        }
        lines.append("OPTIONS:")
        for option in options {
            var left = option.shortName.map { "\($0), \(option.name)" } ?? option.name
            if let valueName = option.valueName { left += " <\(valueName)>" }
            var help = option.help
            if let defaultValue = option.defaultValue { help += " (default: \(defaultValue))" }
            lines.append(Self.row(left, help))
        }
        if let discussion {
            lines.append("")
            lines.append(discussion)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func row(_ left: String, _ right: String) -> String {
        let column = 26
        if left.count + 2 >= column {
            return "  \(left)\n" + String(repeating: " ", count: column + 2) + right
        }
        return "  " + left.padding(toLength: column, withPad: " ", startingAt: 0) + right
    }

    func option(named name: String) -> OptionSpec? {
        options.first { $0.name == name || $0.shortName == name }
    }

    /// Returns the option name within two edits of `name` (a typo such as --image for
    /// --images), or nil when none or several are that close.
    func closestOption(to name: String) -> String? {
        let candidates = options.map(\.name).filter { editDistance($0, name) <= 2 }
        return candidates.count == 1 ? candidates[0] : nil
    }

    /// Parses `arguments` (without the program name) against this spec.
    public func parse(_ arguments: [String]) throws(UsageError) -> ParsedArguments {
        var parsed = ParsedArguments(spec: self)
        var index = 0
        var onlyPositionals = false
        while index < arguments.count {
            let word = arguments[index]
            index += 1
            if onlyPositionals || word == "-" || !word.hasPrefix("-") {
                parsed.positionals.append(word)
                continue
            }
            if word == "--" {
                onlyPositionals = true
                continue
            }

            // Accept both "--name value" and "--name=value".
            var name = word
            var inlineValue: String?
            if let equals = word.firstIndex(of: "="), word.hasPrefix("--") {
                name = String(word[..<equals])
                inlineValue = String(word[word.index(after: equals)...])
            }
            guard let option = option(named: name) else {
                let suggestion = closestOption(to: name).map { "; did you mean '\($0)'?" } ?? ""
                throw UsageError("unknown option '\(name)'\(suggestion)")
            }
            if option.name == "--help" {
                parsed.wantsHelp = true
                continue
            }
            if option.isFlag {
                if inlineValue != nil {
                    throw UsageError("option '\(option.name)' takes no value")
                }
                parsed.flags.insert(option.name)
                continue
            }
            if let inlineValue {
                parsed.values[option.name] = inlineValue
            } else if index < arguments.count {
                parsed.values[option.name] = arguments[index]
                index += 1
            } else {
                throw UsageError("missing value for option '\(option.name)'")
            }
        }
        if parsed.wantsHelp { return parsed }

        for option in options where option.isRequired && parsed.values[option.name] == nil {
            throw UsageError("missing required option '\(option.name)'")
        }

        let required = self.arguments.filter { !$0.isOptional }.count
        let repeated = self.arguments.contains { $0.isRepeated }
        if parsed.positionals.count < required {
            let missing = self.arguments[parsed.positionals.count]
            throw UsageError("missing expected argument '<\(missing.name)>'")
        }
        if !repeated && parsed.positionals.count > self.arguments.count {
            throw UsageError("unexpected argument '\(parsed.positionals[self.arguments.count])'")
        }
        return parsed
    }
}

/// Returns the Levenshtein distance between two strings, in characters.
func editDistance(_ first: String, _ second: String) -> Int {
    let a = Array(first), b = Array(second)
    guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + [Int](repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}

/// An invalid command line; the tool prints it with the usage line and exits 64.
public struct UsageError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The command line after parsing, with typed and strictly checked accessors.
public struct ParsedArguments {
    public let spec: CommandSpec
    public var positionals: [String] = []
    public var values: [String: String] = [:]
    public var flags: Set<String> = []
    public var wantsHelp = false

    init(spec: CommandSpec) { self.spec = spec }

    public func has(_ name: String) -> Bool {
        values[name] != nil || flags.contains(name)
    }

    public func flag(_ name: String) -> Bool { flags.contains(name) }

    /// Returns the option's value, or its default, or nil when it has neither.
    public func string(_ name: String) -> String? {
        precondition(spec.option(named: name) != nil, "\(name) is not an option of \(spec.name)")
        return values[name] ?? spec.option(named: name)?.defaultValue
    }

    public func requiredString(_ name: String) throws(UsageError) -> String {
        guard let value = string(name) else { throw UsageError("missing required option '\(name)'") }
        return value
    }

    /// Parses an integer option strictly: "12x", "1e3" and "" are errors, never 0.
    public func int(_ name: String, min minimum: Int? = nil, max maximum: Int? = nil) throws(UsageError) -> Int {
        let text = try requiredString(name)
        guard let value = Int(text) else {
            throw UsageError("invalid value '\(text)' for '\(name)': expected an integer")
        }
        if let minimum, value < minimum {
            throw UsageError("invalid value '\(text)' for '\(name)': must be at least \(minimum)")
        }
        if let maximum, value > maximum {
            throw UsageError("invalid value '\(text)' for '\(name)': must be at most \(maximum)")
        }
        return value
    }

    public func optionalInt(_ name: String, min minimum: Int? = nil) throws(UsageError) -> Int? {
        string(name) == nil ? nil : try int(name, min: minimum)
    }

    /// Parses a finite floating-point option. `positive` rejects zero and negative values.
    public func double(_ name: String, positive: Bool = false, nonNegative: Bool = false) throws(UsageError) -> Double {
        let text = try requiredString(name)
        guard let value = Double(text), value.isFinite else {
            throw UsageError("invalid value '\(text)' for '\(name)': expected a finite number")
        }
        if positive && value <= 0 {
            throw UsageError("invalid value '\(text)' for '\(name)': must be greater than 0")
        }
        if nonNegative && value < 0 {
            throw UsageError("invalid value '\(text)' for '\(name)': must not be negative")
        }
        return value
    }

    /// Parses a seed, any unsigned 64-bit integer.
    public func seed(_ name: String = "--seed") throws(UsageError) -> UInt64 {
        let text = try requiredString(name)
        guard let value = UInt64(text) else {
            throw UsageError("invalid value '\(text)' for '\(name)': expected an integer from 0 to \(UInt64.max)")
        }
        return value
    }

    /// Returns an option's value after checking it against a list of allowed values.
    public func choice(_ name: String, _ allowed: [String]) throws(UsageError) -> String {
        let text = try requiredString(name)
        guard allowed.contains(text) else {
            throw UsageError("invalid value '\(text)' for '\(name)': expected one of \(allowed.joined(separator: ", "))")
        }
        return text
    }
}

/// Exit statuses shared by the tools (sysexits.h for usage errors).
public enum ExitStatus {
    public static let success: Int32 = 0
    public static let failure: Int32 = 1
    public static let usage: Int32 = 64
}

/// Runs a tool's body with the shared conventions: `--help` prints help and exits 0; a
/// `UsageError` prints "Error: ...", the usage line and a pointer to --help and exits 64;
/// any other error prints "Error: ..." and exits 1. The body returns the exit status.
public func runCommand(_ spec: CommandSpec, arguments: [String] = Array(CommandLine.arguments.dropFirst()),
                       _ body: (ParsedArguments) throws -> Int32) -> Never {
    let status: Int32
    do {
        let parsed = try spec.parse(arguments)
        if parsed.wantsHelp {
            printOutput(spec.helpText, terminator: "")
            exit(ExitStatus.success)
        }
        status = try body(parsed)
    } catch let error as UsageError {
        printUsageError(error.message, spec: spec)
        status = ExitStatus.usage
    } catch let error as TripletKitError where error.option != nil {
        printUsageError(error.description, spec: spec)
        status = ExitStatus.usage
    } catch {
        printError("Error: \(error)")
        status = ExitStatus.failure
    }
    exit(status)
}

private func printUsageError(_ message: String, spec: CommandSpec) {
    printError("Error: \(message)")
    printError("Usage: \(spec.usageLine)")
    printError("  See '\(spec.name) --help' for more information.")
}

/// Writes a result line to standard output.
public func printOutput(_ text: String, terminator: String = "\n") {
    FileHandle.standardOutput.write(Data((text + terminator).utf8))
}

/// Writes a diagnostic line to standard error.
public func printError(_ text: String, terminator: String = "\n") {
    FileHandle.standardError.write(Data((text + terminator).utf8))
}

/// Whether standard error is a terminal, which decides between a live progress line
/// and one line per epoch.
public var standardErrorIsTerminal: Bool { isatty(2) == 1 }
