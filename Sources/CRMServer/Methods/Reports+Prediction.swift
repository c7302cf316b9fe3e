import CRMProtocol
import CRMCore
import PQ

/// `reports.*` of customer-lifetime prediction (BG/NBD and Gamma-Gamma, issue 19): the scores per
/// customer, the unit's fitted model, and a refit on demand.
enum PredictionReportMethods {
    static func all() -> [RPCMethod] {
        [
            RPCMethod("reports.customer_prediction", summary: "Per customer: RFM as of the unit's model date, the probability of being alive, expected purchases in the next `periods` periods (of the model: days or weeks; default 30), the expected mean value of a purchase and the expected value; by customer id; paged. -32004 with the reason when the unit has no usable model.",
                      params: [ParamSpec("periods", .integer(min: 0, max: 3660), "horizon in the model's periods (default 30)"), .limit(), .cursor()],
                      access: .unit, function: "api.reports_customer_prediction", answer: .page(.id)),
            RPCMethod("reports.prediction_model", summary: "The unit's fitted customer-prediction model: period, as_of, fitted_at, customers, BG/NBD r, alpha, a, b, log-likelihood, Gamma-Gamma p, q, v, and a note when a part could not be fitted; null when never fitted.",
                      access: .unit, function: "api.reports_prediction_model"),
            RPCMethod("reports.refresh_prediction", summary: "Refits the unit's customer-prediction model now (the scheduled job does it daily) on its RFM as of `as_of` (default today) in `period` (default: the model's, else week); answers the model, with a note instead of parameters when there are too few customers. Managers and directors.",
                      params: [ParamSpec("period", .oneOf(["day", "week"])), ParamSpec("as_of", .date, "end of observation (default today)")],
                      access: .roles([.manager, .director])) { p, ctx in
                let (period, asOf) = (p.string("period"), p.string("as_of"))
                let text: String? = try await ctx.db { conn in
                    try CustomerPredictionRefresh.refresh(conn, period: period, asOf: asOf)
                    return try conn.query("select crm.customer_prediction_model_json()::text as json")[0].optional("json")
                }
                return text.map(JSON.raw) ?? .null
            },
        ]
    }
}
