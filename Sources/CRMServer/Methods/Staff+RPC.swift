import CRMProtocol

/// `staff.create`, `staff.list`: the people of a unit who sell, answer calls and own work
/// (SQL/api/staff.sql).
enum StaffMethods {
    static func all() -> [RPCMethod] {
        [
            RPCMethod("staff.create", summary: "Adds a staff member to the caller's unit.",
                      params: [.string("name", required: true, max: 200), .string("email", max: 320), .string("team", max: 100),
                               .string("region", max: 100)],
                      access: .roles([.manager, .director]), function: "api.staff_create"),
            RPCMethod("staff.list", summary: "The unit's staff, by id, paged.",
                      params: [.string("team", max: 100), .limit(), .cursor()],
                      access: .unit, function: "api.staff_list", answer: .page(.id)),
        ]
    }
}
