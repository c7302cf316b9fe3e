import CRMProtocol

/// `interactions.log / list` and `calls.record`: every contact, what it cost, what was quoted
/// (SQL/api/interactions.sql).
enum InteractionMethods {
    static let channels = ["phone", "email", "web", "store", "call_centre", "mail", "partner", "visit"]

    static func all() -> [RPCMethod] {
        [
            RPCMethod("interactions.log", summary: "Records a contact with a customer, its cost and any prices quoted (the next lookup shows them as the last quoted price).",
                      params: [.id("customer_id", required: true), ParamSpec("channel", .oneOf(channels), required: true),
                               ParamSpec("direction", .oneOf(["inbound", "outbound"])), .id("staff_id"),
                               .string("outcome", max: 200), .string("summary", max: 4000), .amount("cost"),
                               ParamSpec("occurred_at", .timestamp), .id("campaign_id"),
                               ParamSpec("quotes", .array(of: .object(properties: [.id("product_id", required: true), .amount("price", required: true)]), maxItems: 100)),
                               .string("idempotency_key", max: 100)],
                      access: .unitWrite, function: "api.interactions_log", binding: .object),
            RPCMethod("interactions.list", summary: "A customer's contacts, newest first; paged.",
                      params: [.id("customer_id", required: true), ParamSpec("channel", .oneOf(channels)), .limit(), .cursor()],
                      access: .unit, function: "api.interactions_list", answer: .page(.newest)),
            RPCMethod("calls.record", summary: "Records an inbound call of the call centre: who answered, wait, abandoned or not, reason.",
                      params: [.id("customer_id"), .string("phone", max: 40), .id("answered_by"),
                               ParamSpec("wait_seconds", .integer(min: 0, max: 86_400), required: true),
                               ParamSpec("abandoned", .boolean), ParamSpec("duration_seconds", .integer(min: 0, max: 86_400)),
                               ParamSpec("reason", .oneOf(["question", "complaint", "quality", "replacement", "refund", "order", "other"]), required: true),
                               ParamSpec("started_at", .timestamp)],
                      access: .unitWrite, function: "api.calls_record"),
        ]
    }
}
