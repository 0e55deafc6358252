// SIGINT and SIGTERM handling for long runs. The first signal requests a stop after the
// current step, so the run can write a checkpoint, and a second one ends the process at once.

import Dispatch
import Foundation

public final class StopSignalMonitor: @unchecked Sendable {
    private let lock = NSLock()
    private var received: Int32?
    private var sources: [DispatchSourceSignal] = []
    /// Runs on the second signal, just before the process ends, to say what is left on disk.
    public var beforeQuitting: (() -> Void)?

    /// Starts watching SIGINT and SIGTERM; their default action (ending the process) is
    /// replaced until the monitor is released.
    public init() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [weak self] in self?.record(signalNumber) }
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }

    private func record(_ signalNumber: Int32) {
        lock.lock()
        let first = received == nil
        if first { received = signalNumber }
        lock.unlock()
        if first {
            printError("\n\(Self.name(of: signalNumber)) received: stopping after the current step to write a checkpoint (send it again to quit at once)")
        } else {
            // A second signal means the user will not wait. The last checkpoint on disk is
            // whole, since checkpoints are renamed into place, and a partial one is removed.
            TemporaryFiles.removeAll()
            beforeQuitting?()
            _exit(Self.exitStatus(for: signalNumber))
        }
    }

    /// The first signal received, or nil.
    public var receivedSignal: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    /// 128 + the signal number, the shell's convention: 130 for SIGINT, 143 for SIGTERM.
    public static func exitStatus(for signalNumber: Int32) -> Int32 { 128 + signalNumber }

    public static func name(of signalNumber: Int32) -> String {
        switch signalNumber {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        default: "signal \(signalNumber)"
        }
    }
}
