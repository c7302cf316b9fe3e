import Foundation

// The few functions of the C library the models need, under names that do not clash with the
// parameters' (a model has an `a`, a `b` and a `T`).
@inline(__always) func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) func _exp(_ x: Double) -> Double { Foundation.exp(x) }
@inline(__always) func _lgamma(_ x: Double) -> Double { Foundation.lgamma(x) }

/// log(e^x + e^y) without overflow; either may be -infinity.
@inline(__always) func logAddExp(_ x: Double, _ y: Double) -> Double {
    let m = max(x, y)
    if m == -.infinity { return -.infinity }
    return m + _log(_exp(x - m) + _exp(y - m))
}
