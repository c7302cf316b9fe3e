/// The Gamma-Gamma spend model of Fader and Hardie (2013), "The Gamma-Gamma model of monetary
/// value": the value of each of a customer's transactions is Gamma(p, ν) with ν ~ Gamma(q, γ)
/// across customers; fitted to the repeat customers' mean value m over their x repeat periods.
/// (`v` is γ, named as lifetimes names it.)
public struct GammaGammaModel: Sendable, Equatable {
    public var p: Double
    public var q: Double
    public var v: Double

    public init(p: Double, q: Double, v: Double) {
        self.p = p
        self.q = q
        self.v = v
    }

    public static let minimumRepeatCustomers = 5

    /// log f(m | p, q, γ, x) with f = Γ(px+q) / (Γ(px) Γ(q)) · γ^q · m^(px-1) · x^(px) / (γ + x m)^(px+q),
    /// equation (4) of the note.
    public func logLikelihood(frequency x: Double, monetaryValue m: Double) -> Double {
        let px = p * x
        return _lgamma(px + q) - _lgamma(px) - _lgamma(q) + q * _log(v)
            + (px - 1) * _log(m) + px * _log(x) - (px + q) * _log(v + x * m)
    }

    /// The sum over the customers the model describes (x > 0 and m > 0), each `weight` times.
    public func logLikelihood(_ customers: [RFMObservation]) -> Double {
        customers.reduce(0) { sum, c in
            guard c.frequency > 0, c.monetaryValue > 0 else { return sum }
            return sum + c.weight * logLikelihood(frequency: c.frequency, monetaryValue: c.monetaryValue)
        }
    }

    /// E[Z | x, m] = p (γ + x m) / (p x + q - 1), equation (5): a weighted mean of the population
    /// mean p γ / (q - 1) and the customer's own mean m. Finite only when q > 1.
    public func conditionalExpectedValue(frequency x: Double, monetaryValue m: Double) -> Double {
        p * (v + x * m) / (p * x + q - 1)
    }

    public struct Fit: Sendable {
        public var model: GammaGammaModel
        public var logLikelihood: Double
        /// Repeat customers with a positive mean value (the only ones the model reads).
        public var customers: Int
    }

    /// Maximum likelihood over log p, log q, log γ on the repeat customers with m > 0.
    public static func fit(_ customers: [RFMObservation]) throws(PredictionFitError) -> Fit {
        let used = customers.filter { $0.frequency > 0 && $0.monetaryValue > 0 }
        let total = used.reduce(0) { $0 + $1.weight }
        guard total >= Double(minimumRepeatCustomers) else {
            throw .tooFewCustomers(customers: Int(customers.reduce(0) { $0 + $1.weight }), repeatCustomers: Int(total),
                                   needed: minimumRepeatCustomers, neededRepeat: minimumRepeatCustomers)
        }
        let meanValue = used.reduce(0) { $0 + $1.weight * $1.monetaryValue } / total
        let starts: [[Double]] = [[1, 1, 1], [2, 3, meanValue], [6, 4, 2 * meanValue]]
        let best = try LogParameterFit.fit(starts: starts) { x in
            -GammaGammaModel(p: x[0], q: x[1], v: x[2]).logLikelihood(used) / total
        }
        let model = GammaGammaModel(p: best.parameters[0], q: best.parameters[1], v: best.parameters[2])
        return Fit(model: model, logLikelihood: model.logLikelihood(used), customers: Int(total))
    }
}
