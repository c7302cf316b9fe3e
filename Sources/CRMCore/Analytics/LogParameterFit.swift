/// The maximisation shared by the two models: Nelder-Mead over the logarithms of the parameters
/// (so they stay positive), from several starting points, the best result kept.
enum LogParameterFit {
    /// Log-parameters beyond this are treated as out of the domain (e^25 ≈ 7e10).
    static let bound = 25.0

    /// Minimises `negativeMeanLogLikelihood(parameters)`; returns the parameters and the value.
    static func fit(starts: [[Double]], _ negativeMeanLogLikelihood: ([Double]) -> Double) throws(PredictionFitError)
        -> (parameters: [Double], value: Double) {
        let optimiser = NelderMead()
        var best: NelderMead.Result?
        for start in starts {
            let result = optimiser.minimise({ logs in
                guard logs.allSatisfy({ abs($0) <= bound }) else { return .infinity }
                return negativeMeanLogLikelihood(logs.map { _exp($0) })
            }, from: start.map { _log($0) })
            if result.value.isFinite, best.map({ result.value < $0.value }) ?? true { best = result }
        }
        guard let best else { throw .degenerate("the likelihood is not finite at any starting point") }
        if let at = best.point.firstIndex(where: { abs($0) > bound - 1 }) {
            throw .degenerate("parameter \(at + 1) runs off to \(best.point[at] > 0 ? "infinity" : "zero")")
        }
        return (best.point.map { _exp($0) }, best.value)
    }
}
