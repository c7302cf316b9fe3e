import CRMProtocol
import CRMCore
import PQ

/// `customers.*`: know the customer. Writes go through SQL functions (normalisation, duplicate
/// detection, versions, lifecycle history and audit in one statement); reads let PostgreSQL
/// build the JSON.
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
                      access: .unitWrite) { p, ctx in
                try await ctx.json("select crm.create_customer(\(PQJSON(JSON.object(p.object).serialized))::jsonb) as json")
            },
            RPCMethod("customers.get", summary: "One customer by id (own unit, or shared with it), with its lifecycle history.",
                      params: [.id("id", required: true)], access: .unit) { p, ctx in
                let id = try p.requiredID("id")
                let found = try await ctx.json("select crm.get_customer(\(id))::text as json")
                guard found != .null else { throw CRMError.notFound("customer \(id)") }
                return found
            },
            RPCMethod("customers.update", summary: "Changes the given fields; `version` must be the current one, else -32009.",
                      params: [.id("id", required: true), ParamSpec("version", .integer(min: 1, max: Int64(Int32.max)), required: true)] + fields,
                      access: .unitWrite) { p, ctx in
                var changes = p.object
                changes["id"] = nil
                changes["version"] = nil
                return try await ctx.json("""
                    select crm.update_customer(\(try p.requiredID("id")), \(p.int("version")!), \(PQJSON(JSON.object(changes).serialized))::jsonb) as json
                    """)
            },
            RPCMethod("customers.search", summary: "Customers whose name, email or phone contains the fragment; paged.",
                      params: [.string("query", required: true, max: 100, "at least 2 characters"), .limit(), .cursor()],
                      access: .unit) { p, ctx in
                let query = try p.requiredString("query").lowercased()
                guard query.count >= 2 else { throw CRMError.invalidParams("query", "needs at least 2 characters") }
                // Digits of a phone fragment match the stored E.164 digits whatever the punctuation.
                let digits = query.filter(\.isNumber)
                let needle = digits.count >= 3 && digits.count == query.filter({ !$0.isWhitespace && !"+-()./".contains($0) }).count ? digits : query
                let after = try IDCursor.after(p.string("cursor"))
                return try await ctx.page("""
                    select c.id::text as key, crm.customer_json(c) as json
                    from crm.search_customer_keys(\(needle), \(after), \(p.limit + 1)) k
                    join crm.customer c on c.tenant_id = k.tenant_id and c.id = k.id
                    order by c.id
                    """, limit: p.limit)
            },
            RPCMethod("customers.list", summary: "The unit's customers by id, optionally by segment or lifecycle stage; paged.",
                      params: [.string("segment", max: 100), ParamSpec("lifecycle_stage", .oneOf(stages)), .limit(), .cursor()],
                      access: .unit) { p, ctx in
                let after = try IDCursor.after(p.string("cursor"))
                return try await ctx.page("""
                    select c.id::text as key, crm.customer_json(c) as json
                    from crm.customer c
                    where c.tenant_id = crm.current_tenant() and c.id > \(after) and c.merged_into is null
                      and (\(p.string("segment"))::text is null or c.segment = \(p.string("segment")))
                      and (\(p.string("lifecycle_stage"))::text is null or c.lifecycle_stage = \(p.string("lifecycle_stage")))
                    order by c.id
                    limit \(p.limit + 1)
                    """, limit: p.limit)
            },
            RPCMethod("customers.merge", summary: "Moves everything of `merge_id` to `keep_id` and marks the merged customer; audited.",
                      params: [.id("keep_id", required: true), .id("merge_id", required: true)],
                      access: .roles([.manager, .director, .agent])) { p, ctx in
                let keep = try p.requiredID("keep_id"), merge = try p.requiredID("merge_id")
                guard keep != merge else { throw CRMError.invalidParams("merge_id", "must differ from keep_id") }
                return try await ctx.json("select crm.merge_customers(\(keep), \(merge)) as json")
            },
            RPCMethod("customers.lookup", summary: "Who is calling: the customer for a phone number in any way the unit's country writes it (national or trunk prefix, international call prefix, extension), with open orders, balance, sales of the last 12 months, the last contacts, the last price quoted per product and preferences; one round trip.",
                      params: [.string("phone", required: true, max: 40)], access: .unit) { p, ctx in
                let phone = try p.requiredString("phone")
                // Both under the unit's country (settings.default_country_code): 415-555-0134 is a number in a unit of +1.
                let rows = try await ctx.query("select crm.normalize_unit_phone(\(phone)) is null as invalid, crm.lookup_customer(\(phone)) as json")
                let invalid: Bool, json: String?
                do { (invalid, json) = (try rows[0].get("invalid"), try rows[0].optional("json")) } catch { throw CRMError.from(error) }
                if invalid { throw CRMError.invalidParams("phone", "is not a phone number") }
                guard let json else { throw CRMError(.notFound, "no customer with phone \(phone)", field: "phone") }
                return .raw(json)
            },
        ]
    }
}
