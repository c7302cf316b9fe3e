import CRMProtocol
import CRMCore
import PQ

/// `products.*`: the unit's catalogue with cost, margin and profit tier.
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

    /// The shape every products.* method answers (cost and margin included: unit users only).
    static let json = """
        json_build_object('id', p.id::text, 'sku', p.sku, 'name', p.name, 'description', p.description,
            'product_group', p.product_group, 'list_price', p.list_price::text, 'unit_cost', p.unit_cost::text,
            'margin', (p.list_price - p.unit_cost)::text,
            'margin_rate', case when p.list_price > 0 then round((p.list_price - p.unit_cost) / p.list_price, 4)::text end,
            'active', p.active, 'surplus', p.surplus, 'warranty_months', p.warranty_months,
            'support_contact', p.support_contact, 'service_info', p.service_info, 'version', p.version)
        """

    static func all() -> [RPCMethod] {
        [
            RPCMethod("products.create", summary: "Adds a product; the SKU is unique in the unit (-32009 otherwise).",
                      params: [.string("sku", required: true, max: 64), .string("name", required: true, max: 200),
                               .amount("list_price", required: true), .amount("unit_cost", required: true)]
                        + fields.filter { !["name", "list_price", "unit_cost"].contains($0.name) },
                      access: .roles([.manager, .director, .marketing])) { p, ctx in
                try await ctx.json("""
                    with p as (
                        insert into crm.product (tenant_id, sku, name, description, product_group, list_price, unit_cost,
                                                 active, surplus, warranty_months, support_contact, service_info)
                        values (crm.current_tenant(), \(p.string("sku")), \(p.string("name")), \(p.string("description")),
                                \(p.string("product_group")), \(p.decimal("list_price"))::numeric, \(p.decimal("unit_cost"))::numeric,
                                coalesce(\(p.bool("active"))::boolean, true), coalesce(\(p.bool("surplus"))::boolean, false),
                                \(p.int("warranty_months"))::int, \(p.string("support_contact")), \(p.string("service_info")))
                        returning *)
                    select \(unsafeSQL: json) as json from p
                    """)
            },
            RPCMethod("products.get", summary: "One product by id or SKU.",
                      params: [.id("id"), .string("sku", max: 64)], access: .unit) { p, ctx in
                guard p.has("id") || p.has("sku") else { throw CRMError.invalidParams("id", "or sku is required") }
                let found = try await ctx.json("""
                    select \(unsafeSQL: json) as json from crm.product p
                    where p.tenant_id = crm.current_tenant() and (p.id = \(p.id("id")) or p.sku = \(p.string("sku")))
                    """)
                guard found != .null else { throw CRMError.notFound("product") }
                return found
            },
            RPCMethod("products.update", summary: "Changes the given fields; `version` must be current (-32009 otherwise).",
                      params: [.id("id", required: true), ParamSpec("version", .integer(min: 1, max: Int64(Int32.max)), required: true)] + fields,
                      access: .roles([.manager, .director, .marketing])) { p, ctx in
                let id = try p.requiredID("id")
                let found = try await ctx.json("""
                    with p as (
                        update crm.product set
                            name = coalesce(\(p.string("name")), name),
                            description = coalesce(\(p.string("description")), description),
                            product_group = coalesce(\(p.string("product_group")), product_group),
                            list_price = coalesce(\(p.decimal("list_price"))::numeric, list_price),
                            unit_cost = coalesce(\(p.decimal("unit_cost"))::numeric, unit_cost),
                            active = coalesce(\(p.bool("active"))::boolean, active),
                            surplus = coalesce(\(p.bool("surplus"))::boolean, surplus),
                            warranty_months = coalesce(\(p.int("warranty_months"))::int, warranty_months),
                            support_contact = coalesce(\(p.string("support_contact")), support_contact),
                            service_info = coalesce(\(p.string("service_info")), service_info),
                            version = version + 1, updated_at = now()
                        where tenant_id = crm.current_tenant() and id = \(id) and version = \(p.int("version")!)
                        returning *)
                    select coalesce((select \(unsafeSQL: json) from p),
                                    (select json_build_object('stale', true) from crm.product
                                      where tenant_id = crm.current_tenant() and id = \(id))) as json
                    """)
                if found == .null { throw CRMError.notFound("product \(id)") }
                if found["stale"] != nil { throw CRMError(.conflict, "conflict: product \(id) was changed since that version", field: "version", reason: "stale_version") }
                return found
            },
            RPCMethod("products.list", summary: "The unit's products by id, optionally one group, active only by default; paged.",
                      params: [.string("product_group", max: 100), ParamSpec("include_inactive", .boolean), .string("query", max: 100), .limit(), .cursor()],
                      access: .unit) { p, ctx in
                let after = try IDCursor.after(p.string("cursor"))
                return try await ctx.page("""
                    select p.id::text as key, \(unsafeSQL: json) as json
                    from crm.product p
                    where p.tenant_id = crm.current_tenant() and p.id > \(after)
                      and (p.active or coalesce(\(p.bool("include_inactive"))::boolean, false))
                      and (\(p.string("product_group"))::text is null or p.product_group = \(p.string("product_group")))
                      and (\(p.string("query"))::text is null or p.name ilike '%' || \(p.string("query")) || '%' or p.sku ilike \(p.string("query")) || '%')
                    order by p.id
                    limit \(p.limit + 1)
                    """, limit: p.limit)
            },
        ]
    }
}
