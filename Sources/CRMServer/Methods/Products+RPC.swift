import CRMProtocol

/// `products.*`: the unit's catalogue with cost, margin and profit tier (SQL/api/products.sql).
enum ProductMethods {
    static let fields: [ParamSpec] = [
        .string("name", max: 200),
        .string("description", max: 4000),
        .string("product_group", max: 100),
        .amount("list_price", "price to customers"),
        .amount("unit_cost", "cost per unit; margin = list_price - unit_cost"),
        ParamSpec("active", .boolean),
        ParamSpec("surplus", .boolean, "marked for cross-selling"),
        ParamSpec("warranty_months", .integer(min: 0, max: 600)),
        .string("support_contact", max: 200),
        .string("service_info", max: 4000),
    ]

    static func all() -> [RPCMethod] {
        [
            RPCMethod("products.create", summary: "Adds a product; the SKU is unique in the unit (-32009 otherwise).",
                      params: [.string("sku", required: true, max: 64), .string("name", required: true, max: 200),
                               .amount("list_price", required: true), .amount("unit_cost", required: true)]
                        + fields.filter { !["name", "list_price", "unit_cost"].contains($0.name) },
                      access: .roles([.manager, .director, .marketing]), function: "api.products_create"),
            RPCMethod("products.get", summary: "One product by id or SKU.",
                      params: [.id("id"), .string("sku", max: 64)], access: .unit, lane: .standard, function: "api.products_get"),
            RPCMethod("products.update", summary: "Changes the given fields; `version` must be current (-32009 otherwise).",
                      params: [.id("id", required: true), ParamSpec("version", .integer(min: 1, max: Int64(Int32.max)), required: true)] + fields,
                      access: .roles([.manager, .director, .marketing]), function: "api.products_update"),
            RPCMethod("products.list", summary: "The unit's products by id, optionally one group, active only by default; paged.",
                      params: [.string("product_group", max: 100), ParamSpec("include_inactive", .boolean), .string("query", max: 100), .limit(), .cursor()],
                      access: .unit, function: "api.products_list", answer: .page(.id)),
        ]
    }
}
