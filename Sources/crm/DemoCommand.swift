import ArgumentParser
import CRMCore
import Foundation
import PQ

/// Seeds the demo on first start (`Scripts/run`): three business units (two hotels of one chain
/// that share their guests, and a pool-supply firm), two partners, staff, customers and whatever
/// the files in SQL/demo add; then writes one API key per role to `--keys-file`.
///
/// All in one transaction, so a demo stopped half-way leaves nothing behind; run again on a
/// database that holds the finished demo (its keys file was never written), it issues new keys.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Seed demo business units, partners and data, and write their API keys to a file.")

    @Option(help: "Where to write the keys, one `NAME KEY` per line.") var keysFile: String
    @Option(help: "Folder holding demo/ (default $CRM_SQL_DIR or ./SQL).") var sqlDir: String?

    static let units = [("hotel-berlin", "Seaside Hotels Berlin"), ("hotel-munich", "Seaside Hotels München"), ("coolpool", "Cool Pool Supplies")]
    static let partners = [("poolpartner", "Pool Partner Resellers"), ("servicepro", "ServicePro Field Service")]

    func run() throws {
        let dir = Env.sqlDirectory(sqlDir).appendingPathComponent("demo")
        do {
            let keys = try withDatabase { conn in try conn.transaction { conn -> [(String, String)] in
                let seeded = try conn.query("select count(*)::int as n from crm.tenant where slug = any(\(Self.units.map(\.0)))")[0].get("n", as: Int.self)
                if seeded == 0 {
                    for (slug, name) in Self.units { try AdminOperations.createTenant(conn, slug: slug, name: name) }
                    for (slug, name) in Self.partners { try AdminOperations.createPartner(conn, slug: slug, name: name) }
                    let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path))?.filter { $0.hasSuffix(".sql") }.sorted() ?? []
                    for file in files {
                        let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
                        try conn.transaction { c in
                            try c.execute(unsafeSQL: text)
                            // What a file set for itself stays for the whole transaction: undo it.
                            try c.execute(unsafeSQL: """
                                reset role;
                                select set_config(name, '', true) from unnest(array['crm.tenant', 'crm.tenant_id', 'crm.partner_id',
                                                                                    'crm.principal_id', 'crm.app_role']) name
                                """)
                        }
                        print("seeded \(file)")
                    }
                } else {
                    print("the demo is in the database already (its keys were never written): issuing new keys")
                }
                var keys: [(String, String)] = []
                for (unit, _) in Self.units {
                    for role in ["manager", "agent", "marketing", "director"] {
                        keys.append(("\(unit)/\(role)", try AdminOperations.issueKey(conn, for: .unit(tenant: unit, role: role))))
                    }
                }
                for (partner, _) in Self.partners {
                    keys.append(("partner/\(partner)", try AdminOperations.issueKey(conn, for: .partner(partner))))
                }
                keys.append(("admin", try AdminOperations.issueKey(conn, for: .admin)))
                return keys
            } }
            let text = "# demo API keys: NAME KEY\n" + keys.map { "\($0.0) \($0.1)" }.joined(separator: "\n") + "\n"
            try text.write(toFile: keysFile, atomically: true, encoding: .utf8)
            print("wrote \(keys.count) keys to \(keysFile)")
        } catch {
            fail(error)
        }
    }
}
