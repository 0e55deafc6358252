// The error type that the library throws for bad input and failed I/O. Each message
// names the file (and entry or field where there is one), the expected and the found
// value. The hint tells what to do next.

/// A failure the user can act on: bad input, a missing file, a failed write.
public struct TripletKitError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var hint: String?
    /// The command-line option whose value caused the failure, when the value itself is
    /// unusable, such as a training set with one class. Tools then report a usage error.
    public var option: String?

    public init(_ message: String, hint: String? = nil, option: String? = nil) {
        self.message = message
        self.hint = hint
        self.option = option
    }

    public var description: String {
        guard let hint else { return message }
        return "\(message)\nHint: \(hint)"
    }
}
