public import PQ

/// Fits the caller's unit's customer-lifetime models on a connection already in the unit's
/// context (its role and `crm.tenant_id` set, in a transaction): reads the unit's RFM summary
/// (`crm.customer_prediction_inputs`), fits BG/NBD and Gamma-Gamma here, and stores the result
/// (`crm.save_customer_prediction_model`, which refuses unit roles other than managers and
/// directors). A unit with too little history gets a row with a note instead of parameters, so
/// the report can say why and the daily job does not retry it the same day.
public enum CustomerPredictionRefresh {
    public struct Outcome: Sendable {
        public var period: String
        /// The end of observation, YYYY-MM-DD.
        public var asOf: String
        public var customers: Int
        public var repeatCustomers: Int
        public var purchases: BGNBDModel.Fit?
        public var spend: GammaGammaModel.Fit?
        /// Why a part is missing (nil when both models were fitted).
        public var note: String?
    }

    /// `period`: "day" or "week", nil for the unit's current one ('week' for a first fit);
    /// `asOf`: YYYY-MM-DD, nil for today.
    @discardableResult
    public static func refresh(_ conn: PQConnection, period: String? = nil, asOf: String? = nil) throws -> Outcome {
        let resolved = try conn.query("""
            select coalesce(\(period)::text, crm.customer_prediction_period()) as period,
                   coalesce(\(asOf)::date, current_date)::text as as_of
            """)[0]
        let period: String = try resolved.get("period")
        let asOf: String = try resolved.get("as_of")
        let rows = try conn.query("""
            select frequency, recency, t, monetary_value::float8 as monetary_value, customers
            from crm.customer_prediction_inputs(\(period)::text, \(asOf)::date)
            """)
        var summaries: [RFMObservation] = []
        summaries.reserveCapacity(rows.count)
        for row in rows {
            summaries.append(RFMObservation(
                frequency: Double(try row.get("frequency", as: Int.self)), recency: Double(try row.get("recency", as: Int.self)),
                T: Double(try row.get("t", as: Int.self)), monetaryValue: try row.get("monetary_value"),
                weight: Double(try row.get("customers", as: Int.self))))
        }
        var outcome = fit(sample(summaries), period: period, asOf: asOf)
        let all = Int(summaries.reduce(0) { $0 + $1.weight })
        if all > outcome.customers {
            // Counts of the whole unit; the fit's note says it read a sample.
            let sampled = "fitted on a sample of \(outcome.customers) of \(all) customers"
            outcome.note = outcome.note.map { "\(sampled); \($0)" } ?? sampled
            outcome.customers = all
            outcome.repeatCustomers = Int(summaries.reduce(0) { $0 + ($1.frequency > 0 ? $1.weight : 0) })
        }
        let bg = outcome.purchases?.model
        let gg = outcome.spend?.model
        try conn.query("""
            select crm.save_customer_prediction_model(\(period)::text, \(asOf)::date, \(outcome.customers)::int,
                \(outcome.repeatCustomers)::int, \(bg?.r)::float8, \(bg?.alpha)::float8, \(bg?.a)::float8, \(bg?.b)::float8,
                \(outcome.purchases?.logLikelihood)::float8, \(gg?.p)::float8, \(gg?.q)::float8, \(gg?.v)::float8, \(outcome.note)::text)
            """)
        return outcome
    }

    /// The fits alone: BG/NBD on every customer (equal summaries counted once, weighted), then
    /// Gamma-Gamma on the repeat customers, kept only when q > 1 (else the expected value is undefined).
    public static func fit(_ summaries: [RFMObservation], period: String, asOf: String) -> Outcome {
        let customers = Int(summaries.reduce(0) { $0 + $1.weight })
        let repeatCustomers = Int(summaries.reduce(0) { $0 + ($1.frequency > 0 ? $1.weight : 0) })
        var outcome = Outcome(period: period, asOf: asOf, customers: customers, repeatCustomers: repeatCustomers)
        do {
            outcome.purchases = try BGNBDModel.fit(grouped(summaries))
        } catch {
            outcome.note = "BG/NBD not fitted: \(error)"
            return outcome
        }
        do {
            let spend = try GammaGammaModel.fit(summaries)
            if spend.model.q > 1 {
                outcome.spend = spend
            } else {
                outcome.note = "Gamma-Gamma not used: q = \(spend.model.q) <= 1, the expected value of a purchase is not finite"
            }
        } catch {
            outcome.note = "Gamma-Gamma not fitted: \(error)"
        }
        return outcome
    }

    /// At most this many customers go into a fit: the maximum-likelihood estimates of a uniform
    /// sample of this size are as good as the whole unit's for a model of four (and three)
    /// parameters, and the daily refit of a unit of a million customers stays seconds, not minutes.
    public static let sampleSize = 50_000

    /// Every k-th summary row in RFM order (a systematic sample, so every part of the unit's range
    /// is in it, and the same rows each time), so that about `sampleSize` customers remain; all of
    /// them when fewer. Rows are equal RFM summaries with their count.
    public static func sample(_ summaries: [RFMObservation]) -> [RFMObservation] {
        let customers = summaries.reduce(0) { $0 + $1.weight }
        guard customers > Double(sampleSize) else { return summaries }
        let step = Int((customers / Double(sampleSize)).rounded(.up))
        let ordered = summaries.sorted {
            ($0.frequency, $0.recency, $0.T, $0.monetaryValue) < ($1.frequency, $1.recency, $1.T, $1.monetaryValue)
        }
        return stride(from: 0, to: ordered.count, by: step).map { ordered[$0] }
    }

    /// BG/NBD reads only (x, t_x, T): one weighted observation per distinct triple.
    public static func grouped(_ summaries: [RFMObservation]) -> [RFMObservation] {
        struct Key: Hashable { let x, tx, t: Double }
        var weights: [Key: Double] = [:]
        for s in summaries { weights[Key(x: s.frequency, tx: s.recency, t: s.T), default: 0] += s.weight }
        // Sorted, so that the sums (and so the fit) do not depend on the dictionary's order.
        return weights.sorted { ($0.key.x, $0.key.tx, $0.key.t) < ($1.key.x, $1.key.tx, $1.key.t) }
            .map { RFMObservation(frequency: $0.key.x, recency: $0.key.tx, T: $0.key.t, weight: $0.value) }
    }
}

extension CustomerPredictionRefresh.Outcome {
    init(period: String, asOf: String, customers: Int, repeatCustomers: Int) {
        self.init(period: period, asOf: asOf, customers: customers, repeatCustomers: repeatCustomers,
                  purchases: nil, spend: nil, note: nil)
    }
}
