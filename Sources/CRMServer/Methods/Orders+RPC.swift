import CRMProtocol
/// `orders.*`, `payments.record`, `goals.set`: sales with the price and cost of the day, status
/// history, the balance, and goals to measure against. Each method is one function of
/// SQL/api/orders.sql.
enum OrderMethods {
    static let statuses = ["quoted", "confirmed", "shipped", "delivered", "cancelled", "returned"]
    /// What report.goal_progress measures (SQL/repeatable/31_reports_products_goals.sql).
    static let goalMetrics = ["revenue", "gross_margin", "orders", "new_customers", "contacts", "nps", "churn_rate", "retention_rate", "margin_rate"]

    static let line = ParamSpec("line", .object(properties: [
        .id("product_id", required: true),
        ParamSpec("quantity", .decimal(maxScale: 3), required: true),
        .amount("unit_price", "defaults to the product's list price"),
    ]))

    static func all() -> [RPCMethod] {
        [
            RPCMethod("orders.create", summary: "Creates an order; each line keeps the product's price and cost of the day. An idempotency_key makes retries safe.",
                      params: [.id("customer_id", required: true), .id("staff_id"), .id("campaign_id"),
                               ParamSpec("lines", .array(of: line.kind, maxItems: 500), required: true),
                               ParamSpec("status", .oneOf(["quoted", "confirmed"])), ParamSpec("ordered_at", .timestamp),
                               .string("idempotency_key", max: 100)],
                      access: .unitWrite, function: "api.orders_create"),
            RPCMethod("orders.get", summary: "One order with its lines and total.", params: [.id("id", required: true)], access: .unit,
                      lane: .standard, function: "api.orders_get", answer: .json(notFound: "order")),
            RPCMethod("orders.list", summary: "Orders, newest first, optionally of one customer or status; paged.",
                      params: [.id("customer_id"), ParamSpec("status", .oneOf(statuses)), .limit(), .cursor()], access: .unit,
                      function: "api.orders_list", answer: .page(.newest)),
            RPCMethod("orders.set_status", summary: "Moves an order along quoted → confirmed → shipped → delivered (or cancelled / returned); history kept.",
                      params: [.id("id", required: true), ParamSpec("status", .oneOf(statuses), required: true),
                               ParamSpec("version", .integer(min: 1, max: Int64(Int32.max)))],
                      access: .unitWrite, function: "api.orders_set_status"),
            RPCMethod("payments.record", summary: "Records a payment by a customer (optionally against an invoice); the balance is invoiced minus paid.",
                      params: [.id("customer_id", required: true), .amount("amount", required: true), .id("invoice_id"),
                               .string("method", max: 50), ParamSpec("paid_at", .timestamp), .string("idempotency_key", max: 100)],
                      access: .unitWrite, function: "api.payments_record"),
            RPCMethod("goals.set", summary: "Sets a goal: a metric, a target, a period, optionally for a staff member or team. Rates (churn_rate, retention_rate, margin_rate) are fractions (0.25 for 25%); nps, churn_rate and retention_rate are the whole unit's; reports.goals defines each metric.",
                      params: [ParamSpec("metric", .oneOf(goalMetrics), required: true), ParamSpec("target", .decimal(maxScale: 2), required: true),
                               ParamSpec("period_start", .date, required: true), ParamSpec("period_end", .date, required: true),
                               .id("staff_id"), .string("team", max: 100)],
                      access: .roles([.manager, .director]), function: "api.goals_set"),
        ]
    }
}
