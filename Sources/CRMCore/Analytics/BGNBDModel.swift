/// The BG/NBD model of Fader, Hardie and Lee (2005), "Counting your customers the easy way":
/// while alive a customer buys as a Poisson process of rate λ, λ ~ Gamma(r, α) across customers;
/// after each purchase he drops out with probability p, p ~ Beta(a, b) across customers.
/// Periods are whatever unit the summary counts (days or weeks).
public struct BGNBDModel: Sendable, Equatable {
    public var r: Double
    public var alpha: Double
    public var a: Double
    public var b: Double

    public init(r: Double, alpha: Double, a: Double, b: Double) {
        self.r = r
        self.alpha = alpha
        self.a = a
        self.b = b
    }

    /// Least history a fit is attempted with.
    public static let minimumCustomers = 20
    public static let minimumRepeatCustomers = 5

    /// The largest a and b a fit may reach. When every customer drops out with about the same
    /// probability the likelihood keeps rising, ever more slowly, as a and b grow together (the
    /// beta distribution narrows to a point); the fit stops here, which changes the predictions
    /// by little and keeps the hypergeometric series of the expected purchases short (its length
    /// grows with a).
    public static let maximumBeta = 1000.0
    /// The same for r and α: when every customer buys at about the same rate they grow together
    /// (the gamma distribution of rates narrows to a point, r/α the rate).
    public static let maximumGamma = 1e6

    /// The log-likelihood of one customer's (x, t_x, T), equation (6) of the paper:
    /// L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
    ///   + δ(x>0) · B(a+1, b+x-1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x)),
    /// written as log Γ(r+x) - log Γ(r) + r log α + log Γ(a+b) + log Γ(b+x) - log Γ(b) - log Γ(a+b+x)
    /// + log[(α+T)^-(r+x) + δ(x>0) · a/(b+x-1) · (α+t_x)^-(r+x)].
    public func logLikelihood(frequency x: Double, recency tx: Double, T: Double) -> Double {
        let common = _lgamma(r + x) - _lgamma(r) + r * _log(alpha)
            + _lgamma(a + b) + _lgamma(b + x) - _lgamma(b) - _lgamma(a + b + x)
        let stays = -(r + x) * _log(alpha + T)
        let dropped = x > 0 ? _log(a) - _log(b + x - 1) - (r + x) * _log(alpha + tx) : -Double.infinity
        return common + logAddExp(stays, dropped)
    }

    /// The sum over customers, each counted `weight` times. The terms that depend on x alone
    /// (three log Γ and a log) are computed once per run of equal x (the fit passes customers
    /// sorted by x), the rest per customer.
    public func logLikelihood(_ customers: [RFMObservation]) -> Double {
        let constant = -_lgamma(r) + r * _log(alpha) + _lgamma(a + b) - _lgamma(b)
        var total = 0.0
        var lastX = Double.nan
        var ofX = 0.0, logDropOdds = 0.0
        for c in customers {
            let x = c.frequency
            if x != lastX {
                lastX = x
                ofX = _lgamma(r + x) + _lgamma(b + x) - _lgamma(a + b + x)
                logDropOdds = x > 0 ? _log(a) - _log(b + x - 1) : -.infinity
            }
            let stays = -(r + x) * _log(alpha + c.T)
            let dropped = x > 0 ? logDropOdds - (r + x) * _log(alpha + c.recency) : -.infinity
            total += c.weight * (ofX + logAddExp(stays, dropped))
        }
        return total + constant * customers.reduce(0) { $0 + $1.weight }
    }

    /// P(alive | x, t_x, T) = 1 / (1 + δ(x>0) · a/(b+x-1) · ((α+T)/(α+t_x))^(r+x)), equation (11).
    public func probabilityAlive(frequency x: Double, recency tx: Double, T: Double) -> Double {
        guard x > 0 else { return 1 }
        let logOdds = _log(a) - _log(b + x - 1) + (r + x) * (_log(alpha + T) - _log(alpha + tx))
        return 1 / (1 + _exp(logOdds))
    }

    /// A fit: the parameters, the log-likelihood they reach and the customers they were fitted to.
    public struct Fit: Sendable {
        public var model: BGNBDModel
        public var logLikelihood: Double
        public var customers: Int
    }

    /// Maximum likelihood over log r, log α, log a, log b, from a few starting points (all ones,
    /// as lifetimes starts, and two scaled to the customers' mean age), the best kept; r and α at
    /// most `maximumGamma`, a and b at most `maximumBeta`. Customers are sorted by x first.
    public static func fit(_ customers: [RFMObservation]) throws(PredictionFitError) -> Fit {
        let total = customers.reduce(0) { $0 + $1.weight }
        let repeaters = customers.reduce(0) { $0 + ($1.frequency > 0 ? $1.weight : 0) }
        guard total >= Double(minimumCustomers), repeaters >= Double(minimumRepeatCustomers) else {
            throw .tooFewCustomers(customers: Int(total), repeatCustomers: Int(repeaters),
                                   needed: minimumCustomers, neededRepeat: minimumRepeatCustomers)
        }
        let meanT = max(1, customers.reduce(0) { $0 + $1.weight * $1.T } / total)
        let starts: [[Double]] = [[1, 1, 1, 1], [0.25, meanT / 10, 0.8, 2.5], [1, meanT, 2, 8]]
        let customers = customers.sorted { $0.frequency < $1.frequency }
        let best = try LogParameterFit.fit(starts: starts, caps: [maximumGamma, maximumGamma, maximumBeta, maximumBeta]) { p in
            -BGNBDModel(r: p[0], alpha: p[1], a: p[2], b: p[3]).logLikelihood(customers) / total
        }
        let p = best.parameters
        let model = BGNBDModel(r: p[0], alpha: p[1], a: p[2], b: p[3])
        return Fit(model: model, logLikelihood: model.logLikelihood(customers), customers: Int(total))
    }
}
