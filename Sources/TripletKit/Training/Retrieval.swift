// Retrieval metrics on embeddings.

import Dispatch

public enum Retrieval {
    /// Leave-one-out precision@1: the fraction of rows whose nearest other row (Euclidean
    /// distance, ties going to the lower row index) has the same label. `embeddings` is
    /// (labels.count, dimension) row-major.
    public static func precisionAtOne(embeddings: [Float], labels: [Int], dimension: Int) -> Double {
        let count = labels.count
        guard count > 1 else { return 0 }
        let chunk = 256
        let chunkCount = (count + chunk - 1) / chunk
        var hits = [Int](repeating: 0, count: chunkCount)
        embeddings.withUnsafeBufferPointer { values in
            hits.withUnsafeMutableBufferPointer { hits in
                let hitsBase = hits.baseAddress!
                DispatchQueue.concurrentPerform(iterations: chunkCount) { chunkIndex in
                    var chunkHits = 0
                    for i in (chunkIndex * chunk)..<min(count, (chunkIndex + 1) * chunk) {
                        let query = values.baseAddress! + i * dimension
                        var best = Float.infinity
                        var bestIndex = -1
                        for j in 0..<count where j != i {
                            let other = values.baseAddress! + j * dimension
                            var distance: Float = 0
                            for d in 0..<dimension {
                                let difference = query[d] - other[d]
                                distance += difference * difference
                            }
                            if distance < best {
                                best = distance
                                bestIndex = j
                            }
                        }
                        if bestIndex >= 0 && labels[bestIndex] == labels[i] { chunkHits += 1 }
                    }
                    hitsBase[chunkIndex] = chunkHits
                }
            }
        }
        return Double(hits.reduce(0, +)) / Double(count)
    }
}
