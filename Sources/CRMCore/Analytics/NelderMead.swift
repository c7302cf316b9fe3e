/// Minimises a function of a few real variables without derivatives: the downhill simplex method
/// of Nelder and Mead (1965) with the usual coefficients (reflection 1, expansion 2, contraction
/// and shrink 1/2). A point where the function is not finite counts as worse than any finite one,
/// so an objective may answer `.infinity` outside its domain.
///
/// One run stops when the simplex has collapsed: the spread of its values is below `valueTolerance`
/// (relative to the best value, plus an absolute floor) and its vertices lie within
/// `pointTolerance` of the best one. `minimise` then restarts from the best point with a fresh
/// simplex until a restart no longer improves it, which guards against a simplex that collapsed
/// early on a slope.
public struct NelderMead: Sendable {
    public var valueTolerance = 1e-12
    public var pointTolerance = 1e-9
    /// Function evaluations allowed for one run (restarts each get their own).
    public var maxEvaluations = 20_000
    public var maxRestarts = 10
    /// Edge length of the starting simplex along each axis.
    public var initialStep = 0.5

    public init() {}

    public struct Result: Sendable {
        public var point: [Double]
        public var value: Double
        /// Function evaluations over every run.
        public var evaluations: Int
        /// False when a run ended at its evaluation limit rather than by collapsing.
        public var converged: Bool
    }

    public func minimise(_ f: ([Double]) -> Double, from start: [Double]) -> Result {
        var best = run(f, from: start)
        var evaluations = best.evaluations
        for _ in 0..<maxRestarts {
            let again = run(f, from: best.point)
            evaluations += again.evaluations
            let improved = best.value - again.value > valueTolerance * (1 + abs(best.value))
            if again.value < best.value || !best.value.isFinite { best = again }
            if !improved { break }
        }
        best.evaluations = evaluations
        return best
    }

    /// A value that orders non-finite results after every finite one.
    private static func score(_ v: Double) -> Double { v.isNaN ? .infinity : v }

    private func run(_ f: ([Double]) -> Double, from start: [Double]) -> Result {
        let n = start.count
        precondition(n > 0, "Nelder-Mead needs at least one variable")
        var simplex: [[Double]] = [start]
        for i in 0..<n {
            var p = start
            p[i] += initialStep
            simplex.append(p)
        }
        var values = simplex.map { Self.score(f($0)) }
        var evaluations = n + 1

        func evaluate(_ p: [Double]) -> Double {
            evaluations += 1
            return Self.score(f(p))
        }

        while true {
            // Order the vertices best first.
            let order = values.indices.sorted { values[$0] < values[$1] }
            simplex = order.map { simplex[$0] }
            values = order.map { values[$0] }

            let spread = abs(values[n] - values[0])
            let size = simplex.dropFirst().map { v in zip(v, simplex[0]).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
            if values[0].isFinite && spread <= valueTolerance * (1 + abs(values[0])) && size <= pointTolerance {
                return Result(point: simplex[0], value: values[0], evaluations: evaluations, converged: true)
            }
            if evaluations >= maxEvaluations {
                return Result(point: simplex[0], value: values[0], evaluations: evaluations, converged: false)
            }

            // The centroid of every vertex but the worst.
            var centroid = [Double](repeating: 0, count: n)
            for v in simplex.prefix(n) { for i in 0..<n { centroid[i] += v[i] / Double(n) } }
            func along(_ t: Double) -> [Double] { (0..<n).map { centroid[$0] + t * (simplex[n][$0] - centroid[$0]) } }

            let reflected = along(-1)
            let fr = evaluate(reflected)
            if fr < values[0] {
                let expanded = along(-2)
                let fe = evaluate(expanded)
                if fe < fr { simplex[n] = expanded; values[n] = fe } else { simplex[n] = reflected; values[n] = fr }
                continue
            }
            if fr < values[n - 1] {
                simplex[n] = reflected
                values[n] = fr
                continue
            }
            // Contract: outside when the reflection beat the worst vertex, inside otherwise.
            let outside = fr < values[n]
            let contracted = along(outside ? -0.5 : 0.5)
            let fc = evaluate(contracted)
            if fc < (outside ? fr : values[n]) {
                simplex[n] = contracted
                values[n] = fc
                continue
            }
            // Shrink every vertex towards the best.
            for j in 1...n {
                simplex[j] = (0..<n).map { simplex[0][$0] + 0.5 * (simplex[j][$0] - simplex[0][$0]) }
                values[j] = evaluate(simplex[j])
            }
        }
    }
}
