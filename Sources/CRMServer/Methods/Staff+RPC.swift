import CRMProtocol
import CRMCore
import PQ

/// `staff.create`, `staff.list`: the people of a unit who sell, answer calls and own work.
enum StaffMethods {
    static func all() -> [RPCMethod] {
        [
            RPCMethod("staff.create", summary: "Adds a staff member to the caller's unit.",
                      params: [
                        .string("name", required: true, max: 200),
                        .string("email", max: 320),
                        .string("team", max: 100),
                        .string("region", max: 100),
                      ],
                      access: .roles([.manager, .director])) { p, ctx in
                try await ctx.json("""
                    with s as (
                        insert into crm.staff (tenant_id, name, email, team, region)
                        values ((select crm.current_tenant()), \(try p.requiredString("name")), \(p.string("email")), \(p.string("team")), \(p.string("region")))
                        returning id, name, email, team, region, active
                    )
                    select json_build_object('id', id::text, 'name', name, 'email', email, 'team', team,
                                             'region', region, 'active', active) as json
                    from s
                    """)
            },
            RPCMethod("staff.list", summary: "The unit's staff, by id, paged.",
                      params: [.string("team", max: 100), .limit(), .cursor()],
                      access: .unit) { p, ctx in
                let after = try IDCursor.after(p.string("cursor"))
                return try await ctx.page("""
                    select id::text as key,
                           json_build_object('id', id::text, 'name', name, 'email', email, 'team', team,
                                             'region', region, 'active', active) as json
                    from crm.staff
                    where id > \(after) and (\(p.string("team"))::text is null or team = \(p.string("team")))
                    order by id
                    limit \(p.limit + 1)
                    """, limit: p.limit)
            },
        ]
    }
}
