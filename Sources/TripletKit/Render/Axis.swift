// Axis limits and tick marks for plots. Tick steps are "nice" numbers, 1, 2 or 5 times
// a power of ten, and tick values are computed from integers so that labels print
// exactly ("0.3", never "0.30000000000000004").

import Foundation

/// The data range shown on each axis of a plot, in data units.
public struct AxisLimits: Equatable, Sendable {
    public var xMin: Double
    public var xMax: Double
    public var yMin: Double
    public var yMax: Double

    public init(xMin: Double, xMax: Double, yMin: Double, yMax: Double) {
        self.xMin = xMin
        self.xMax = xMax
        self.yMin = yMin
        self.yMax = yMax
    }

    public var xSpan: Double { xMax - xMin }
    public var ySpan: Double { yMax - yMin }

    /// Throws unless both ranges are finite and not empty.
    public func validate() throws {
        guard [xMin, xMax, yMin, yMax].allSatisfy(\.isFinite), xMin < xMax, yMin < yMax else {
            throw TripletKitError("axis limits x \(xMin)...\(xMax), y \(yMin)...\(yMax) are invalid: each minimum must be below its maximum and all must be finite")
        }
    }

    /// Limits that contain the first two dimensions of every row of every set, widened by
    /// `margin` times the span on each side, so that several epochs can share one frame.
    /// A range with no spread (a single point, or no rows at all) becomes its value ± 1,
    /// or ± 10% of the value when that is larger, so the range survives rounding.
    public static func common(for sets: [EmbeddingSet], margin: Double = 0.05) throws -> AxisLimits {
        guard margin >= 0, margin.isFinite else {
            throw TripletKitError("axis margin \(margin) is invalid: it must be a finite number of at least 0")
        }
        var xRange: ClosedRange<Double>?
        var yRange: ClosedRange<Double>?
        for set in sets {
            guard set.dimension >= 2 else {
                throw TripletKitError("embeddings of epoch \(set.epoch) have dimension \(set.dimension), but a scatter plot needs at least 2 dimensions")
            }
            for row in 0..<set.count {
                let x = Double(set.values[row * set.dimension])
                let y = Double(set.values[row * set.dimension + 1])
                xRange = xRange.map { min($0.lowerBound, x)...max($0.upperBound, x) } ?? x...x
                yRange = yRange.map { min($0.lowerBound, y)...max($0.upperBound, y) } ?? y...y
            }
        }
        let x = widened(xRange ?? 0...0, margin: margin)
        let y = widened(yRange ?? 0...0, margin: margin)
        return AxisLimits(xMin: x.lowerBound, xMax: x.upperBound, yMin: y.lowerBound, yMax: y.upperBound)
    }

    private static func widened(_ range: ClosedRange<Double>, margin: Double) -> ClosedRange<Double> {
        let span = range.upperBound - range.lowerBound
        guard span > 0 else {
            let halfWidth = max(1, abs(range.lowerBound) / 10)
            return (range.lowerBound - halfWidth)...(range.upperBound + halfWidth)
        }
        return (range.lowerBound - margin * span)...(range.upperBound + margin * span)
    }

    /// These limits with one range widened about its centre so that a data unit is as long
    /// on the x axis as on the y axis in a plot area of `width` × `height` pixels. Neither
    /// range shrinks, so every point inside stays inside.
    public func withEqualScale(width: Int, height: Int) -> AxisLimits {
        let unitsPerPixel = max(xSpan / Double(width), ySpan / Double(height))
        var result = self
        let xCenter = (xMin + xMax) / 2
        let yCenter = (yMin + yMax) / 2
        let halfWidth = unitsPerPixel * Double(width) / 2
        let halfHeight = unitsPerPixel * Double(height) / 2
        if halfWidth * 2 > xSpan {
            result.xMin = xCenter - halfWidth
            result.xMax = xCenter + halfWidth
        }
        if halfHeight * 2 > ySpan {
            result.yMin = yCenter - halfHeight
            result.yMax = yCenter + halfHeight
        }
        return result
    }
}

/// The tick marks of one axis: values n × step for whole n inside the limits.
public struct AxisTicks: Equatable, Sendable {
    /// Step = mantissa × 10^exponent, with mantissa 1, 2 or 5.
    public let mantissa: Int
    public let exponent: Int
    /// The n of the first and last tick.
    public let firstIndex: Int
    public let lastIndex: Int

    /// Chooses the smallest nice step of at least `minimumStep` data units, and the ticks
    /// of that step between `lower` and `upper`.
    public init(min lower: Double, max upper: Double, minimumStep: Double) {
        precondition(lower.isFinite && upper.isFinite && lower < upper && minimumStep > 0 && minimumStep.isFinite)
        // Smallest power of ten whose 1, 2 or 5 multiple reaches minimumStep.
        var exponent = 0
        while Self.powerOfTen(exponent + 1) <= minimumStep { exponent += 1 }
        while Self.powerOfTen(exponent) > minimumStep { exponent -= 1 }
        var mantissa = 1
        for candidate in [1, 2, 5, 10] where Double(candidate) * Self.powerOfTen(exponent) >= minimumStep {
            mantissa = candidate
            break
        }
        if mantissa == 10 {
            mantissa = 1
            exponent += 1
        }
        self.mantissa = mantissa
        self.exponent = exponent
        let step = Double(mantissa) * Self.powerOfTen(exponent)
        firstIndex = Int((lower / step).rounded(.up))
        lastIndex = Int((upper / step).rounded(.down))
    }

    public var step: Double { Double(mantissa) * Self.powerOfTen(exponent) }

    /// Tick values in ascending order, each the double nearest to its exact decimal.
    public var values: [Double] {
        guard firstIndex <= lastIndex else { return [] }
        return (firstIndex...lastIndex).map(value(at:))
    }

    /// Tick labels with just enough decimals for the step, matching `values`.
    public var labels: [String] {
        guard firstIndex <= lastIndex else { return [] }
        let decimals = max(0, -exponent)
        return (firstIndex...lastIndex).map { index in
            let text = String(format: "%.\(decimals)f", value(at: index))
            return text.hasPrefix("-") && text.allSatisfy({ "-0.".contains($0) }) ? String(text.dropFirst()) : text
        }
    }

    private func value(at index: Int) -> Double {
        // One rounding only: an exact integer divided or multiplied by an exact power of ten.
        let scaled = Double(index * mantissa)
        return exponent >= 0 ? scaled * Self.powerOfTen(exponent) : scaled / Self.powerOfTen(-exponent)
    }

    /// Returns 10^exponent, exact for 0 ≤ exponent ≤ 22. Below 0 it is the double nearest
    /// to 1 / 10^-exponent.
    private static func powerOfTen(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<abs(exponent) { result *= 10 }
        return exponent >= 0 ? result : 1 / result
    }
}
