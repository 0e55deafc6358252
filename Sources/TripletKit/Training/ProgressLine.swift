// The live progress line on a terminal: epoch, step, loss, learning rate, throughput and
// ETA, redrawn in place at most four times a second.

import Foundation

final class ProgressLine {
    let enabled: Bool
    private var lastDraw = Date.distantPast

    init(enabled: Bool) { self.enabled = enabled }

    func update(epoch: Int, epochs: Int, step: Int, steps: Int, loss: Double, rate: Double,
                tripletsPerSecond: Double, remainingSteps: Int, secondsPerStep: Double) {
        guard enabled, Date().timeIntervalSince(lastDraw) >= 0.25 || step == steps else { return }
        lastDraw = Date()
        let eta = Int(Double(remainingSteps) * secondsPerStep)
        let width = 20
        let filled = width * step / max(steps, 1)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let text = String(format: "\repoch %d/%d [%@] %d/%d  loss %.4f  lr %.6f  %.0f triplets/s  ETA %d:%02d\u{1B}[K",
                          epoch, epochs, bar, step, steps, loss, rate, tripletsPerSecond, eta / 60, eta % 60)
        printError(text, terminator: "")
    }

    func clear() {
        guard enabled else { return }
        printError("\r\u{1B}[K", terminator: "")
    }
}
