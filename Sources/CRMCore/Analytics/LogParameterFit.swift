/// The maximisation shared by the two models: Nelder-Mead over the logarithms of the parameters
/// (so they stay positive), from several starting points, the best result kept.
enum LogParameterFit {
    /// Log-parameters beyond ±bound are out of the domain (e^25 ≈ 7e10); a fit that ends near it
    /// has no proper maximum.
    static let bound = 25.0

    /// Minimises `negativeMeanLogLikelihood(parameters)`; returns the parameters and the value.
    /// `caps` (optional, per parameter) are upper limits a parameter may end at without the fit
    /// being called degenerate: the likelihood only flattens out beyond them.
    static func fit(starts: [[Double]], caps: [Double?]? = nil, _ negativeMeanLogLikelihood: ([Double]) -> Double)
        throws(PredictionFitError) -> (parameters: [Double], value: Double) {
        let n = starts[0].count
        let upper = (0..<n).map { i in caps?[i].map { _log($0) } ?? bound }
        let optimiser = NelderMead()
        var best: NelderMead.Result?
        for start in starts {
            let result = optimiser.minimise({ logs in
                for i in 0..<n where logs[i] < -bound || logs[i] > upper[i] { return .infinity }
                return negativeMeanLogLikelihood(logs.map { _exp($0) })
            }, from: start.enumerated().map { min(_log($0.element), upper[$0.offset] - 0.5) })
            if result.value.isFinite, best.map({ result.value < $0.value }) ?? true { best = result }
        }
        guard let best else { throw .degenerate("the likelihood is not finite at any starting point") }
        if let at = best.point.indices.first(where: { best.point[$0] < -bound + 1 || (caps?[$0] == nil && best.point[$0] > bound - 1) }) {
            throw .degenerate("parameter \(at + 1) runs off to \(best.point[at] > 0 ? "infinity" : "zero")")
        }
        return (best.point.map { _exp($0) }, best.value)
    }
}
