/// The maximisation shared by the two models: Nelder-Mead over the logarithms of the parameters
/// (so they stay positive), from several starting points, the best result kept.
///
/// A parameter with a cap is searched through a smooth map that never exceeds it,
/// log θ = L - log(1 + e^(L - u)) with L = log cap: close to u well below the cap, approaching L
/// as u grows. Where the likelihood keeps rising towards infinity along that parameter (a
/// degenerate sample) the search then runs into a flat stretch and stops there, instead of
/// pressing against a wall, which Nelder-Mead does slowly.
enum LogParameterFit {
    /// Log-parameters beyond ±bound are out of the domain (e^25 ≈ 7e10); a fit that ends near it
    /// (with no cap of its own) has no proper maximum.
    static let bound = 25.0

    /// log θ for the search variable u: u itself, or softly capped at `cap` (a log).
    @inline(__always) static func logParameter(_ u: Double, cap: Double?) -> Double {
        guard let cap else { return u }
        let d = cap - u  // log θ = cap - log(1 + e^d), computed without overflow
        let softplus = d > 30 ? d : d < -30 ? _exp(d) : _log(1 + _exp(d))
        return cap - softplus
    }

    /// Minimises `negativeMeanLogLikelihood(parameters)`; returns the parameters and the value.
    /// `caps` (optional, per parameter) are upper limits: see above.
    static func fit(starts: [[Double]], caps: [Double?]? = nil, _ negativeMeanLogLikelihood: ([Double]) -> Double)
        throws(PredictionFitError) -> (parameters: [Double], value: Double) {
        let n = starts[0].count
        let logCaps = (0..<n).map { i in caps?[i].map { _log($0) } }
        func parameters(_ us: [Double]) -> [Double] { (0..<n).map { _exp(logParameter(us[$0], cap: logCaps[$0])) } }
        let objective = { (us: [Double]) -> Double in
            for i in 0..<n where us[i] < -bound || us[i] > (logCaps[i] == nil ? bound : logCaps[i]! + 40) { return .infinity }
            return negativeMeanLogLikelihood(parameters(us))
        }
        // The search variable of a starting value (below any cap).
        func searchVariable(_ value: Double, cap: Double?) -> Double {
            let l = _log(value)
            guard let cap else { return l }
            let below = min(l, cap - 0.5)
            return cap - _log(_exp(cap - below) - 1)
        }
        // A rough run from each start, then the best one refined (restarts included): most of the
        // evaluations go to the one basin that matters.
        var rough = NelderMead()
        rough.valueTolerance = 1e-7
        rough.pointTolerance = 1e-3
        rough.maxRestarts = 0
        rough.maxEvaluations = 1500
        var found: NelderMead.Result?
        for start in starts {
            let result = rough.minimise(objective, from: start.enumerated().map { searchVariable($0.element, cap: logCaps[$0.offset]) })
            if result.value.isFinite, found.map({ result.value < $0.value }) ?? true { found = result }
        }
        guard let found else { throw .degenerate("the likelihood is not finite at any starting point") }
        var refine = NelderMead()
        refine.maxEvaluations = 3000
        refine.maxRestarts = 3
        let best = refine.minimise(objective, from: found.point)
        if let at = best.point.indices.first(where: { best.point[$0] < -bound + 1 || (logCaps[$0] == nil && best.point[$0] > bound - 1) }) {
            throw .degenerate("parameter \(at + 1) runs off to \(best.point[at] > 0 ? "infinity" : "zero")")
        }
        return (parameters(best.point), best.value)
    }
}
