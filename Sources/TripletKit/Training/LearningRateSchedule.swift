// Learning-rate schedules, evaluated per optimiser step, each with an optional linear
// warm-up.

import Foundation

public struct LearningRateSchedule: Equatable, Sendable, CustomStringConvertible {
    public enum Shape: Equatable, Sendable {
        /// The tutorial's schedule (MXNet's PolyScheduler): base · (1 - (s + 1) / T)^power,
        /// so the last step uses 0.
        case poly(power: Double)
        /// base · factor^⌊epoch / everyEpochs⌋, with 0-based epochs.
        case step(everyEpochs: Int, factor: Double)
        /// Half a cosine from base down to 0 at the last step: base · (1 + cos(π (s + 1) / T)) / 2.
        case cosine
        case constant
    }

    public var shape: Shape
    /// Steps of linear warm-up from base / W to base before the shape applies; the shape
    /// then runs over the remaining steps.
    public var warmupSteps: Int

    public init(_ shape: Shape, warmupSteps: Int = 0) {
        self.shape = shape
        self.warmupSteps = warmupSteps
    }

    public static let tutorial = LearningRateSchedule(.poly(power: 1))

    /// Returns the rate for step `step` (0-based) of `totalSteps`.
    public func rate(base: Double, step: Int, totalSteps: Int, stepsPerEpoch: Int) -> Double {
        if step < warmupSteps {
            return base * Double(step + 1) / Double(warmupSteps)
        }
        let position = step - warmupSteps
        let length = max(totalSteps - warmupSteps, 1)
        switch shape {
        case .poly(let power):
            return base * pow(max(0, 1 - Double(position + 1) / Double(length)), power)
        case .step(let everyEpochs, let factor):
            let epoch = step / max(stepsPerEpoch, 1)
            return base * pow(factor, Double(epoch / max(everyEpochs, 1)))
        case .cosine:
            return base * (1 + cos(Double.pi * min(Double(position + 1) / Double(length), 1))) / 2
        case .constant:
            return base
        }
    }

    /// The form stored in checkpoints and accepted by `init(description:)`, such as
    /// "poly:1", "step:10:0.1", "cosine" or "constant", with "+warmup:N" for warm-up steps.
    public var description: String {
        var text: String
        switch shape {
        case .poly(let power): text = "poly:\(power)"
        case .step(let everyEpochs, let factor): text = "step:\(everyEpochs):\(factor)"
        case .cosine: text = "cosine"
        case .constant: text = "constant"
        }
        if warmupSteps > 0 { text += "+warmup:\(warmupSteps)" }
        return text
    }

    public init?(description: String) {
        let parts = description.split(separator: "+")
        guard let first = parts.first else { return nil }
        let fields = first.split(separator: ":")
        switch fields.first {
        case "poly":
            guard fields.count == 2, let power = Double(fields[1]) else { return nil }
            shape = .poly(power: power)
        case "step":
            guard fields.count == 3, let every = Int(fields[1]), let factor = Double(fields[2]) else { return nil }
            shape = .step(everyEpochs: every, factor: factor)
        case "cosine": shape = .cosine
        case "constant": shape = .constant
        default: return nil
        }
        warmupSteps = 0
        if parts.count == 2 {
            let warmup = parts[1].split(separator: ":")
            guard warmup.count == 2, warmup[0] == "warmup", let steps = Int(warmup[1]) else { return nil }
            warmupSteps = steps
        } else if parts.count > 2 {
            return nil
        }
    }
}
