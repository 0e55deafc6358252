// The triplet margin loss against hand-computed values and a plain per-triplet loop.

import Testing
@testable import TripletKit

@Suite struct TripletLossTests {
    /// Two triplets in 2-d, rows anchors (0-1), positives (2-3), negatives (4-5).
    /// Triplet 0: a=(0,0) p=(1,0) n=(2,0): d(a,p)=1, d(a,n)=4, 1-4+1 = -2, inactive.
    /// Triplet 1: a=(0,0) p=(0,2) n=(1,1): d(a,p)=4, d(a,n)=2, 4-2+1 = 3, active.
    let embeddings: [Float] = [0, 0, 0, 0,  1, 0, 0, 2,  2, 0, 1, 1]

    @Test func handComputedExample() {
        var gradient = [Float](repeating: .nan, count: 12)
        let result = TripletLoss.compute(embeddings: embeddings, tripletCount: 2, dimension: 2, margin: 1,
                                         gradient: &gradient)
        #expect(result.loss == 1.5)  // (0 + 3) / 2
        #expect(result.activeCount == 1)
        #expect(result.anchorPositiveSum == 5)
        #expect(result.anchorNegativeSum == 6)
        // Active triplet 1, scale 1/2: d/da = 2(n - p)/2 = (1,-1); d/dp = -(a - p) = (0,2);
        // d/dn = (a - n) = (-1,-1). Inactive triplet 0 has zero gradient.
        #expect(gradient == [0, 0, 1, -1,  0, 0, 0, 2,  0, 0, -1, -1])
    }

    @Test func batchWithNoActiveTriplet() {
        // Negatives far away: every violation is negative.
        let far: [Float] = [0, 0, 1, 1,  0.1, 0, 1, 1.1,  5, 5, -4, -4]
        var gradient = [Float](repeating: .nan, count: 12)
        let result = TripletLoss.compute(embeddings: far, tripletCount: 2, dimension: 2, margin: 1, gradient: &gradient)
        #expect(result.loss == 0)
        #expect(result.activeCount == 0)
        #expect(gradient.allSatisfy { $0 == 0 })
    }

    @Test func matchesPlainLoopAndFiniteDifferences() {
        var generator = SplitMix64(seed: 3)
        let tripletCount = 7, dimension = 5
        let values = (0..<(3 * tripletCount * dimension)).map { _ in generator.nextGaussian() }
        var gradient = [Float](repeating: 0, count: values.count)
        let result = TripletLoss.compute(embeddings: values, tripletCount: tripletCount, dimension: dimension,
                                         margin: 2, gradient: &gradient)

        // Plain loop over the listed (a, p, n) triplets, in Double.
        func plainLoss(_ x: [Float]) -> Double {
            var total = 0.0
            for i in 0..<tripletCount {
                var ap = 0.0, an = 0.0
                for d in 0..<dimension {
                    let a = Double(x[i * dimension + d])
                    let p = Double(x[(tripletCount + i) * dimension + d])
                    let n = Double(x[(2 * tripletCount + i) * dimension + d])
                    ap += (a - p) * (a - p)
                    an += (a - n) * (a - n)
                }
                total += max(ap - an + 2, 0)
            }
            return total / Double(tripletCount)
        }
        #expect(abs(Double(result.loss) - plainLoss(values)) < 1e-5)
        #expect(result.activeCount > 0)
        #expect(result.activeCount < tripletCount)

        let step: Float = 1e-3
        for index in values.indices {
            var plus = values, minus = values
            plus[index] += step
            minus[index] -= step
            let numeric = (plainLoss(plus) - plainLoss(minus)) / Double(2 * step)
            #expect(abs(numeric - Double(gradient[index])) < 1e-3, "gradient \(index): \(gradient[index]) vs \(numeric)")
        }
    }
}
