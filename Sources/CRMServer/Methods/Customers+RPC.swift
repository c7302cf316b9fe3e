import CRMProtocol

/// `customers.*`: know the customer. Writes go through SQL functions (normalisation, duplicate
/// detection, versions, lifecycle history and audit in one statement); reads let PostgreSQL
/// build the JSON. Each method is one function of SQL/api/customers.sql.
enum CustomerMethods {
    static let stages = ["prospect", "acquired", "active", "retained", "loyal", "lapsed"]

    /// The writable fields of a customer, shared by create and update.
    static let fields: [ParamSpec] = [
        .string("name", max: 200),
        ParamSpec("emails", .array(of: .string(maxLength: 320), maxItems: 20)),
        ParamSpec("phones", .array(of: .string(maxLength: 40), maxItems: 20), "any common format; stored as E.164"),
        ParamSpec("address", .object(properties: nil), "postal address: street, city, postcode, country"),
        .string("company", max: 200),
        .string("branch", max: 200, "branch or store"),
        .string("segment", max: 100),
        ParamSpec("consent", .object(properties: nil), "per channel: {\"phone\": true, \"email\": false, ...}"),
        ParamSpec("preferences", .object(properties: nil), "free-form: room type, favourite seat, hobbies"),
        ParamSpec("lifecycle_stage", .oneOf(stages)),
        .id("referred_by", "the customer of the unit who referred this one (null to clear it)"),
    ]

    static func all() -> [RPCMethod] {
        [
            RPCMethod("customers.create", summary: "Creates a customer; a duplicate email or phone in the unit is a conflict (-32009). An idempotency_key makes retries safe.",
                      params: [.string("name", required: true, max: 200)] + fields.filter { $0.name != "name" }
                          + [.string("idempotency_key", max: 100)],
                      access: .unitWrite, function: "api.customers_create", binding: .object),
            RPCMethod("customers.get", summary: "One customer by id (own unit, or shared with it), with its lifecycle history.",
                      params: [.id("id", required: true)], access: .unit, lane: .standard, function: "api.customers_get", answer: .json(notFound: "customer")),
            RPCMethod("customers.update", summary: "Changes the given fields; `version` must be the current one, else -32009.",
                      params: [.id("id", required: true), ParamSpec("version", .integer(min: 1, max: Int64(Int32.max)), required: true)] + fields,
                      access: .unitWrite, function: "api.customers_update", binding: .object),
            RPCMethod("customers.search", summary: "Customers whose name, email or phone contains the fragment; paged.",
                      params: [.string("query", required: true, max: 100, "at least 2 characters"), .limit(), .cursor()],
                      access: .unit, function: "api.customers_search", answer: .page(.id)),
            RPCMethod("customers.list", summary: "The unit's customers by id, optionally by segment or lifecycle stage; paged.",
                      params: [.string("segment", max: 100), ParamSpec("lifecycle_stage", .oneOf(stages)), .limit(), .cursor()],
                      access: .unit, function: "api.customers_list", answer: .page(.id)),
            RPCMethod("customers.merge", summary: "Moves everything of `merge_id` to `keep_id` and marks the merged customer; audited.",
                      params: [.id("keep_id", required: true), .id("merge_id", required: true)],
                      access: .roles([.manager, .director, .agent]), function: "api.customers_merge"),
            RPCMethod("customers.lookup", summary: "Who is calling: the customer for a phone number in any way the unit's country writes it (national or trunk prefix, international call prefix, extension), with open orders, balance, sales of the last 12 months, the last contacts, the last price quoted per product and preferences; one round trip.",
                      params: [.string("phone", required: true, max: 40)], access: .unit, function: "api.customers_lookup"),
            // Privacy (SQL/repeatable/46_customer_privacy.sql): subject access and erasure, for managers and directors.
            RPCMethod("customers.export", summary: "Subject access: everything the unit holds about one of its customers in one JSON document (the customer, contact details, lifecycle history, orders with lines, invoices, payments, interactions, calls, cases, tasks, survey answers, loyalty, consents, leads, shares, audit entries).",
                      params: [.id("id", required: true)], access: .roles([.manager, .director]), function: "api.customers_export"),
            RPCMethod("customers.erase", summary: "Erases a customer's personal data (name, emails, phones, address, preferences, consents, free text of contacts, cases, tasks, surveys, leads and deals, audit details; merged duplicates too); orders and figures stay. Irreversible, audited; refused (-32009) while the customer is shared with another unit.",
                      params: [.id("id", required: true), ParamSpec("confirm", .boolean, required: true, "must be true: erasure is irreversible")],
                      access: .roles([.manager, .director]), function: "api.customers_erase"),
        ]
    }
}
