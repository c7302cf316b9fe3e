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
    /// The largest p and q a fit may reach. Where every customer spends alike (q) or every
    /// purchase of a customer is alike (p) the likelihood keeps rising as the parameter grows
    /// (with γ along for q); the fit stops here, where the predictions barely change any more.
    public static let maximumShape = 1e4

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

    /// The log-likelihood prepared for many parameter values on the same customers: per distinct x
    /// the weight and the weighted sum of log m are summed once, so an evaluation costs a few
    /// log Γ per distinct x and one log per customer (of γ + x m).
    struct Prepared {
        var xs: [Double] = []          // distinct x
        var weights: [Double] = []     // Σ w per x
        var logValues: [Double] = []   // Σ w log m per x
        var logXs: [Double] = []
        var rowX: [Int] = []           // per customer: index into xs
        var rowXM: [Double] = []       // x m
        var rowW: [Double] = []

        init(_ used: [RFMObservation]) {
            var index: [Double: Int] = [:]
            for c in used {
                let i: Int
                if let known = index[c.frequency] { i = known } else {
                    i = xs.count
                    index[c.frequency] = i
                    xs.append(c.frequency); weights.append(0); logValues.append(0); logXs.append(_log(c.frequency))
                }
                weights[i] += c.weight
                logValues[i] += c.weight * _log(c.monetaryValue)
                rowX.append(i); rowXM.append(c.frequency * c.monetaryValue); rowW.append(c.weight)
            }
        }

        func logLikelihood(_ m: GammaGammaModel) -> Double {
            let (p, q, v) = (m.p, m.q, m.v)
            let logV = _log(v), lgammaQ = _lgamma(q)
            var total = 0.0
            for i in xs.indices {
                let px = p * xs[i]
                total += weights[i] * (_lgamma(px + q) - _lgamma(px) - lgammaQ + q * logV + px * logXs[i]) + (px - 1) * logValues[i]
            }
            for j in rowW.indices { total -= rowW[j] * (p * xs[rowX[j]] + q) * _log(v + rowXM[j]) }
            return total
        }
    }

    /// Maximum likelihood over log p, log q, log γ on the repeat customers with m > 0; p and q at
    /// most `maximumShape`.
    public static func fit(_ customers: [RFMObservation]) throws(PredictionFitError) -> Fit {
        let used = customers.filter { $0.frequency > 0 && $0.monetaryValue > 0 }
        let total = used.reduce(0) { $0 + $1.weight }
        guard total >= Double(minimumRepeatCustomers) else {
            throw .tooFewCustomers(customers: Int(customers.reduce(0) { $0 + $1.weight }), repeatCustomers: Int(total),
                                   needed: minimumRepeatCustomers, neededRepeat: minimumRepeatCustomers)
        }
        let meanValue = used.reduce(0) { $0 + $1.weight * $1.monetaryValue } / total
        let starts: [[Double]] = [[1, 1, 1], [2, 3, meanValue], [6, 4, 2 * meanValue]]
        let prepared = Prepared(used)
        let best = try LogParameterFit.fit(starts: starts, caps: [maximumShape, maximumShape, nil]) { x in
            -prepared.logLikelihood(GammaGammaModel(p: x[0], q: x[1], v: x[2])) / total
        }
        let model = GammaGammaModel(p: best.parameters[0], q: best.parameters[1], v: best.parameters[2])
        return Fit(model: model, logLikelihood: model.logLikelihood(used), customers: Int(total))
    }
}
