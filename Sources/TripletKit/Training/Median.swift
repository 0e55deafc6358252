// The median of timing samples, as the benchmarks report it.

/// Returns the middle value of `values`, or the mean of the two middle values when their
/// count is even. `values` must not be empty.
public func median(_ values: [Double]) -> Double {
    precondition(!values.isEmpty, "median of no values")
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
