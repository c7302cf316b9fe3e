import CRMProtocol

/// `shares.*`: a unit's managers share one customer, or all of the unit's customers, read-only
/// with another unit (a hotel chain's branches knowing one guest); audited, revocable; each
/// method is one function of SQL/api/shares.sql.
enum ShareMethods {
    static let sharers = Access.roles([.manager, .director])

    static func all() -> [RPCMethod] {
        [
            RPCMethod("shares.grant", summary: "Shares one customer (customer_id) or, without it, every customer of this unit read-only with another unit (shared_with: its slug); audited.",
                      params: [.string("shared_with", required: true, max: 100), .id("customer_id")],
                      access: sharers, function: "api.shares_grant"),
            RPCMethod("shares.revoke", summary: "Ends a share this unit made: from the next request the other unit no longer reads the customer(s); audited.",
                      params: [.id("id", required: true)], access: sharers, function: "api.shares_revoke"),
            RPCMethod("shares.list", summary: "The shares this unit made (direction given, the default) or those made to it (received), live ones unless include_revoked; by id; paged.",
                      params: [ParamSpec("direction", .oneOf(["given", "received"])), ParamSpec("include_revoked", .boolean), .limit(), .cursor()],
                      access: .unit, function: "api.shares_list", answer: .page(.id)),
        ]
    }
}
