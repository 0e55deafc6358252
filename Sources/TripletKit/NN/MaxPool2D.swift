// Max pooling over non-overlapping size×size windows (stride = size, no padding; a
// remainder row or column is dropped, as PyTorch does by default).
//
// Letters: C channels, N batch, H×W input, P×Q output. Input (C, N, H, W), output
// (C, N, P, Q); each (c, n) plane is pooled on its own.

public struct MaxPool2D: Layer {
    public let name: String
    public let inputShape: TensorShape
    public let size: Int

    public init(name: String, input: TensorShape, size: Int = 2) {
        precondition(input.height >= size && input.width >= size, "\(name): input \(input) smaller than the window")
        self.name = name
        self.inputShape = input
        self.size = size
    }

    public var outputShape: TensorShape {
        TensorShape(channels: inputShape.channels, height: inputShape.height / size, width: inputShape.width / size)
    }

    public func forward(_ b: LayerBuffers) {
        let (height, width) = (inputShape.height, inputShape.width)
        let (outHeight, outWidth) = (outputShape.height, outputShape.width)
        for plane in 0..<(inputShape.channels * b.batch) {
            let input = b.input + plane * height * width
            let output = b.output + plane * outHeight * outWidth
            if size == 2 {
                // The common 2×2 window, unrolled.
                for p in 0..<outHeight {
                    let top = input + 2 * p * width
                    let bottom = top + width
                    for q in 0..<outWidth {
                        output[p * outWidth + q] = max(max(top[2 * q], top[2 * q + 1]), max(bottom[2 * q], bottom[2 * q + 1]))
                    }
                }
                continue
            }
            for p in 0..<outHeight {
                for q in 0..<outWidth {
                    var best = -Float.infinity
                    for r in 0..<size {
                        let row = input + (p * size + r) * width + q * size
                        for s in 0..<size { best = max(best, row[s]) }
                    }
                    output[p * outWidth + q] = best
                }
            }
        }
    }

    /// Routes each output gradient to the first input position, in row-major order,
    /// that contains the window's maximum. The position is found again from the input and
    /// output rather than stored during forward.
    public func backward(_ b: LayerBuffers) {
        guard let inputGradient = b.inputGradient else { return }
        let (height, width) = (inputShape.height, inputShape.width)
        let (outHeight, outWidth) = (outputShape.height, outputShape.width)
        // Windows do not overlap, so each input position receives at most one gradient.
        // The 2×2 path writes every position of a window, so only the general path and a
        // dropped remainder row or column need the zero fill.
        let coversInput = size == 2 && height % 2 == 0 && width % 2 == 0
        if !coversInput {
            inputGradient.update(repeating: 0, count: b.batch * inputShape.elementCount)
        }
        for plane in 0..<(inputShape.channels * b.batch) {
            let input = b.input + plane * height * width
            let gradient = inputGradient + plane * height * width
            let output = b.output + plane * outHeight * outWidth
            let outputGradient = b.outputGradient + plane * outHeight * outWidth
            if size == 2 {
                for p in 0..<outHeight {
                    let top = 2 * p * width
                    let bottom = top + width
                    for q in 0..<outWidth {
                        let best = output[p * outWidth + q]
                        let value = outputGradient[p * outWidth + q]
                        // The same first-maximum order as the general loop below, written
                        // as selects: which position contains the maximum is random, so
                        // branches on it would be mispredicted a quarter of the time.
                        let isFirst = input[top + 2 * q] == best
                        let afterFirst = isFirst ? 0 : value
                        let isSecond = input[top + 2 * q + 1] == best
                        let afterSecond = isSecond ? 0 : afterFirst
                        let isThird = input[bottom + 2 * q] == best
                        gradient[top + 2 * q] = isFirst ? value : 0
                        gradient[top + 2 * q + 1] = isSecond ? afterFirst : 0
                        gradient[bottom + 2 * q] = isThird ? afterSecond : 0
                        gradient[bottom + 2 * q + 1] = isThird ? 0 : afterSecond
                    }
                }
                continue
            }
            for p in 0..<outHeight {
                for q in 0..<outWidth {
                    let best = output[p * outWidth + q]
                    search: for r in 0..<size {
                        let offset = (p * size + r) * width + q * size
                        for s in 0..<size where input[offset + s] == best {
                            gradient[offset + s] += outputGradient[p * outWidth + q]
                            break search
                        }
                    }
                }
            }
        }
    }
}
