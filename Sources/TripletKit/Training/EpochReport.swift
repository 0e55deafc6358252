// The statistics of one training epoch: the epoch line, its JSON form for --log, and the
// embedding-collapse check.

import Foundation

/// Statistics of one epoch, as printed and logged.
public struct EpochReport: Sendable {
    public var epoch: Int
    public var learningRate: Double
    public var meanLoss: Double
    public var activeFraction: Double
    public var meanAnchorPositive: Double
    public var meanAnchorNegative: Double
    public var tripletsPerSecond: Double
    public var elapsedSeconds: Double

    public var line: String {
        String(format: "epoch %d  lr %.6f  loss %.4f  active %.3f  ap %.4f  an %.4f  triplets/s %.0f  elapsed %.1fs",
               epoch, learningRate, meanLoss, activeFraction, meanAnchorPositive, meanAnchorNegative,
               tripletsPerSecond, elapsedSeconds)
    }

    /// The epoch as one JSON object; keys follow the epoch line.
    public var json: String {
        let fields: [(String, String)] = [
            ("epoch", String(epoch)),
            ("lr", String(learningRate)),
            ("loss", String(meanLoss)),
            ("active_triplets", String(activeFraction)),
            ("ap", String(meanAnchorPositive)),
            ("an", String(meanAnchorNegative)),
            ("triplets_per_s", String(format: "%.1f", tripletsPerSecond)),
            ("elapsed_s", String(format: "%.3f", elapsedSeconds)),
        ]
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// Tells whether the epoch looks like an embedding collapse: every embedding close to
    /// one point, so the loss is at the margin and anchor-negative distances are near zero.
    public func looksCollapsed(margin: Float) -> Bool {
        meanAnchorNegative < 0.01 * Double(margin) && meanLoss > 0.9 * Double(margin)
    }
}
