// The triplet margin loss of the tutorial:
//   L = mean_i max(||a_i - p_i||² - ||a_i - n_i||² + margin, 0)
// with squared Euclidean distances on unnormalised embeddings, averaged over every
// triplet of the batch (active or not). Other libraries differ by default: for example
// pytorch-metric-learning averages over active triplets only and normalises embeddings.

/// The loss of one batch with the statistics logged per epoch.
public struct TripletLossResult: Equatable {
    public var loss: Float
    /// Triplets with loss > 0.
    public var activeCount: Int
    /// Sum over the batch of ||a - p||², for mean anchor-positive distances.
    public var anchorPositiveSum: Float
    /// Sum over the batch of ||a - n||².
    public var anchorNegativeSum: Float
}

public enum TripletLoss {
    /// Computes the loss over B triplets whose embeddings are rows of `embeddings`
    /// (3B, D): anchors in rows 0..<B, positives in B..<2B, negatives in 2B..<3B, which
    /// is the tutorial's concatenated batch. When `gradient` is given it receives
    /// dL/d(embeddings), (3B, D), overwritten.
    public static func compute(embeddings: UnsafePointer<Float>, tripletCount: Int, dimension: Int,
                               margin: Float, gradient: UnsafeMutablePointer<Float>?) -> TripletLossResult {
        let anchors = embeddings
        let positives = embeddings + tripletCount * dimension
        let negatives = embeddings + 2 * tripletCount * dimension
        gradient?.update(repeating: 0, count: 3 * tripletCount * dimension)
        let scale = 1 / Float(tripletCount)

        var result = TripletLossResult(loss: 0, activeCount: 0, anchorPositiveSum: 0, anchorNegativeSum: 0)
        for i in 0..<tripletCount {
            let a = anchors + i * dimension
            let p = positives + i * dimension
            let n = negatives + i * dimension
            var anchorPositive: Float = 0
            var anchorNegative: Float = 0
            for d in 0..<dimension {
                anchorPositive += (a[d] - p[d]) * (a[d] - p[d])
                anchorNegative += (a[d] - n[d]) * (a[d] - n[d])
            }
            result.anchorPositiveSum += anchorPositive
            result.anchorNegativeSum += anchorNegative

            let violation = anchorPositive - anchorNegative + margin
            guard violation > 0 else { continue }
            result.loss += violation
            result.activeCount += 1

            // d/da = 2(a - p) - 2(a - n) = 2(n - p); d/dp = -2(a - p); d/dn = 2(a - n).
            guard let gradient else { continue }
            let da = gradient + i * dimension
            let dp = gradient + (tripletCount + i) * dimension
            let dn = gradient + (2 * tripletCount + i) * dimension
            for d in 0..<dimension {
                da[d] = 2 * scale * (n[d] - p[d])
                dp[d] = -2 * scale * (a[d] - p[d])
                dn[d] = 2 * scale * (a[d] - n[d])
            }
        }
        result.loss *= scale
        return result
    }
}
