// Learning-rate schedules, evaluated per optimiser step.

public enum LearningRateSchedule: Equatable, Sendable {
    /// The tutorial's schedule (MXNet's PolyScheduler with pwr = 1): the rate falls
    /// linearly from the base rate so that the last step uses 0. Step s of T (0-based)
    /// uses base · (1 - (s + 1) / T)^power.
    case poly(power: Double)
    /// The base rate throughout.
    case constant

    public func rate(base: Double, step: Int, totalSteps: Int) -> Double {
        switch self {
        case .poly(let power):
            let remaining = max(0, 1 - Double(step + 1) / Double(max(totalSteps, 1)))
            return base * pow(remaining, power)
        case .constant:
            return base
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
