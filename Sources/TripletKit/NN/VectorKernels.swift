// Element-wise kernels written with 8-lane SIMD, because the compiler does not vectorise
// the plain loops on its own. A float sum is a serial dependency chain unless its lanes
// are split explicitly, and a select through three pointers that may alias stays scalar.
// Lane order is fixed, so results are the same on every run.

typealias Lanes = SIMD8<Float>

/// Sums `count` floats in 8 lanes that are added up at the end.
@inline(__always)
func laneSum(_ values: UnsafePointer<Float>, count: Int) -> Float {
    let raw = UnsafeRawPointer(values)
    var lanes = Lanes()
    var i = 0
    while i + 8 <= count {
        lanes += raw.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self)
        i += 8
    }
    var total = lanes.sum()
    while i < count {
        total += values[i]
        i += 1
    }
    return total
}

/// y = max(x, 0).
@inline(__always)
func reluForward(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int) {
    let source = UnsafeRawPointer(input)
    let destination = UnsafeMutableRawPointer(output)
    var i = 0
    while i + 8 <= count {
        let x = source.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self)
        destination.storeBytes(of: x.replacing(with: 0, where: x .< 0), toByteOffset: i * 4, as: Lanes.self)
        i += 8
    }
    while i < count {
        output[i] = max(input[i], 0)
        i += 1
    }
}

/// dx = dy where y > 0, else 0.
@inline(__always)
func reluBackward(output: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                  inputGradient: UnsafeMutablePointer<Float>, count: Int) {
    let y = UnsafeRawPointer(output)
    let dy = UnsafeRawPointer(outputGradient)
    let dx = UnsafeMutableRawPointer(inputGradient)
    var i = 0
    while i + 8 <= count {
        let values = y.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self)
        let gradient = dy.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self)
        dx.storeBytes(of: gradient.replacing(with: 0, where: values .<= 0), toByteOffset: i * 4, as: Lanes.self)
        i += 8
    }
    while i < count {
        inputGradient[i] = output[i] > 0 ? outputGradient[i] : 0
        i += 1
    }
}

/// x[i] += value for i in 0..<count.
@inline(__always)
func addScalar(_ value: Float, to values: UnsafeMutablePointer<Float>, count: Int) {
    let raw = UnsafeMutableRawPointer(values)
    let broadcast = Lanes(repeating: value)
    var i = 0
    while i + 8 <= count {
        raw.storeBytes(of: raw.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self) + broadcast, toByteOffset: i * 4, as: Lanes.self)
        i += 8
    }
    while i < count {
        values[i] += value
        i += 1
    }
}

/// y[i] += x[i] for i in 0..<count.
@inline(__always)
func addVector(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int) {
    let x = UnsafeRawPointer(source)
    let y = UnsafeMutableRawPointer(destination)
    var i = 0
    while i + 8 <= count {
        let sum = y.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self) + x.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self)
        y.storeBytes(of: sum, toByteOffset: i * 4, as: Lanes.self)
        i += 8
    }
    while i < count {
        destination[i] += source[i]
        i += 1
    }
}

/// Copies `count` floats; for the short rows of im2col this beats a memcpy call.
@inline(__always)
func copyFloats(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int) {
    let x = UnsafeRawPointer(source)
    let y = UnsafeMutableRawPointer(destination)
    var i = 0
    while i + 8 <= count {
        y.storeBytes(of: x.loadUnaligned(fromByteOffset: i * 4, as: Lanes.self), toByteOffset: i * 4, as: Lanes.self)
        i += 8
    }
    while i < count {
        destination[i] = source[i]
        i += 1
    }
}
