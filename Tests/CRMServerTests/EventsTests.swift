import ProtocolTestSupport
import CRMCore
@testable import CRMProtocol
@testable import CRMServer
import CRMTestSupport
import Foundation
import Logging
import PQ
import XCTest

/// Live events on the connection (events.subscribe / since / unsubscribe) end to end: a real
/// server over a real cluster. Each event a client receives is checked against what its
/// principal may read; the PostgreSQL restart test checks resumption by cursor.
final class EventsTests: XCTestCase {
    func testTopicsReachTheirSubscribersAndNobodyElse() async throws {
        let h = try await ServerHarness.start("events")
        try h.createTenant("ev-one")
        try h.createTenant("ev-two")
        try h.createPartner("ev-partner")
        try h.sql { c in
            try c.execute(unsafeSQL: """
                insert into crm.partner_grant (tenant_id, partner_id, may_receive_leads)
                select t.id, p.id, true from crm.tenant t, crm.partner p where t.slug = 'ev-one' and p.slug = 'ev-partner'
                """)
        }
        let one = EventClient(try h.loggedIn(.unit(tenant: "ev-one", role: "manager")))
        let two = EventClient(try h.loggedIn(.unit(tenant: "ev-two", role: "manager")))
        let partner = EventClient(try h.loggedIn(.partner("ev-partner")))
        let viewer = EventClient(try h.loggedIn(.unit(tenant: "ev-one", role: "viewer")))
        let quiet = EventClient(try h.loggedIn(.unit(tenant: "ev-one", role: "agent")))
        let start = try one.result("events.subscribe")
        XCTAssertEqual(start["cursor"]?.stringValue, Paging.encode("0"), "a new unit's stream is empty")
        try two.result("events.subscribe")
        try partner.result("events.subscribe")
        try viewer.result("events.subscribe", ["topics": ["order.created"]])

        let customer = try one.result("customers.create", ["name": "Caller One", "phones": ["+49 30 7000001"]])
        let customerID = try XCTUnwrap(customer["id"])
        let product = try one.result("products.create", ["sku": "EV-1", "name": "Skimmer", "list_price": "10", "unit_cost": "4"])
        let order = try one.result("orders.create", ["customer_id": customerID,
                                                     "lines": [["product_id": try XCTUnwrap(product["id"]), "quantity": "1"]]])
        try one.result("orders.set_status", ["id": try XCTUnwrap(order["id"]), "status": "shipped"])
        try one.result("cases.open", ["customer_id": customerID, "category": "question", "subject": "Where is my skimmer?"])
        try one.result("calls.record", ["phone": "+49 30 7000001", "wait_seconds": 5, "reason": "question"])
        let campaign = try one.result("campaigns.create", ["name": "Spring", "budget": "1000"])
        try one.result("campaigns.update", ["id": try XCTUnwrap(campaign["id"]), "version": 1, "status": "pending_approval"])
        try h.sql { c in
            try c.execute(unsafeSQL: "update crm.campaign set status = 'approved' where name = 'Spring'")
            // A lead offered to the partner, expiring within the hour; a task due now.
            try c.execute(unsafeSQL: """
                with l as (insert into crm.lead (tenant_id, name, email, status, assigned_partner_id, assigned_at)
                           select t.id, 'Pool owner', 'owner@pool.example', 'assigned', p.id, now()
                             from crm.tenant t, crm.partner p where t.slug = 'ev-one' and p.slug = 'ev-partner' returning *)
                insert into crm.lead_offer (tenant_id, lead_id, partner_id, expires_at)
                select l.tenant_id, l.id, l.assigned_partner_id, now() + interval '30 minutes' from l
                """)
            try c.execute(unsafeSQL: """
                insert into crm.task (tenant_id, kind, due_at) select id, 'call', now() from crm.tenant where slug = 'ev-one'
                """)
        }
        // The scheduled job, twice: time-based events are emitted once.
        let rules = TaskRulesService(database: CRMDatabase(pool: h.pool, logger: Logger(label: "test")), interval: .seconds(60),
                                     logger: Logger(label: "test"))
        _ = try await rules.runOnce()
        _ = try await rules.runOnce()

        let expected = ["order.created", "order.status", "case.opened", "call.incoming", "campaign.approval_requested",
                        "campaign.approved", "task.due"]
        XCTAssertTrue(one.waitFor { $0.count >= expected.count }, "unit one's events: \(one.topics())")
        XCTAssertEqual(one.topics(), expected)
        let seqs = one.events.compactMap(\.eventSeq)
        XCTAssertEqual(seqs, Array(1...Int64(expected.count)), "numbered 1, 2, 3, ... in commit order")
        XCTAssertTrue(one.events.allSatisfy { $0["unit"]?.stringValue == "ev-one" })
        let call = try XCTUnwrap(one.events.first { $0["topic"]?.stringValue == "call.incoming" })
        XCTAssertEqual(call["data"]?["caller"]?["customer"]?["name"]?.stringValue, "Caller One", "the screen-pop's caller lookup")
        XCTAssertEqual(one.events.first?["data"]?["order_id"], order["id"])

        XCTAssertTrue(partner.waitFor { $0.count >= 2 }, "partner's events: \(partner.topics())")
        XCTAssertEqual(partner.topics(), ["lead.offered", "lead.offer_expiring"])
        XCTAssertFalse(partner.events.map(\.serialized).joined().contains("cost"), "a partner never sees a cost")
        XCTAssertFalse(partner.events.map(\.serialized).joined().contains("margin"), "nor a margin")

        XCTAssertTrue(viewer.waitFor { $0.count >= 1 })
        // Unit two and the quiet client: a sweep later (2 s), still nothing.
        try await Task.sleep(for: .seconds(3))
        _ = try two.call("server.ping")
        _ = try quiet.call("server.ping")
        _ = try viewer.call("server.ping")
        XCTAssertEqual(two.events.count, 0, "another unit's events never reach unit two: \(two.topics())")
        XCTAssertEqual(quiet.events.count + quiet.stray.count, 0, "a client that never subscribed receives none")
        XCTAssertEqual(viewer.topics(), ["order.created"], "a viewer receives the topics it chose")

        // Resume: events.since from the subscription's start answers the same events.
        let missed = try one.since(start["cursor"]?.stringValue)
        XCTAssertEqual(missed.map(\.serialized), one.events.map(\.serialized))
        XCTAssertEqual(try one.since(one.events[4]["cursor"]?.stringValue).compactMap(\.eventSeq), [6, 7])
        XCTAssertEqual(try one.since(nil, topics: ["order.status"]).compactMap(\.eventSeq), [2])

        // A revoked principal's subscription ends (within about a second), like its requests.
        try h.sql { c in
            try c.execute(unsafeSQL: "update crm.principal set revoked_at = now() where app_role = 'viewer'")
        }
        try await Task.sleep(for: .milliseconds(1500))
        try one.result("orders.create", ["customer_id": customerID, "lines": [["product_id": try XCTUnwrap(product["id"]), "quantity": "1"]]])
        XCTAssertTrue(one.waitFor { $0.count > expected.count })
        try await Task.sleep(for: .seconds(3))
        _ = try viewer.call("server.ping")
        XCTAssertEqual(viewer.topics(), ["order.created"], "nothing more for the revoked viewer")

        // Unsubscribed, nothing more arrives.
        XCTAssertEqual(try one.result("events.unsubscribe")["unsubscribed"], true)
        try one.result("cases.open", ["customer_id": customerID, "category": "question", "subject": "Again"])
        try await Task.sleep(for: .seconds(3))
        _ = try one.call("server.ping")
        XCTAssertEqual(one.events.count, expected.count + 1)

        // Retention is a unit setting, checked.
        XCTAssertEqual(try one.result("settings.update", ["event_retention_days": 3])["event_retention_days"], 3)
        XCTAssertEqual(try one.call("settings.update", ["event_retention_days": 0]).errorCode, -32602)
        XCTAssertEqual(try one.result("settings.get")["event_retention_days"], 3)

        // Operators have no stream; rpc.discover describes the notification.
        let admin = EventClient(try h.loggedIn(.admin))
        XCTAssertEqual(try admin.call("events.subscribe").errorCode, -32003)
        let discover = try h.client().result("rpc.discover")
        XCTAssertEqual(discover["x-notifications"]?.arrayValue?.first?["name"]?.stringValue, "event")
        await h.stop()
    }

    /// Several units (a manager and a viewer each) and partners subscribe while random operations
    /// run in every unit and units offer leads to partners; every event received is checked
    /// against the database: a unit's own subjects only, a partner's own offers only, from units
    /// that grant it, no cost or margin; and each stream arrives complete, in order, once.
    func testIsolationFuzzOverEvents() async throws {
        let h = try await ServerHarness.start("events-fuzz", poolSize: 8)
        let units = ["fz-north", "fz-south", "fz-east"]
        let partners = ["fz-p1", "fz-p2"]
        for u in units { try h.createTenant(u) }
        for p in partners { try h.createPartner(p) }
        // p1 works with north and south, p2 with south and east.
        let grants = ["fz-p1": ["fz-north", "fz-south"], "fz-p2": ["fz-south", "fz-east"]]
        try h.sql { c in
            for (p, us) in grants {
                try c.query("""
                    insert into crm.partner_grant (tenant_id, partner_id, may_receive_leads)
                    select t.id, p.id, true from crm.tenant t, crm.partner p where t.slug = any(\(us)::text[]) and p.slug = \(p)
                    """)
            }
        }
        var subscribers: [(who: String, client: EventClient)] = []
        for u in units {
            for role in ["manager", "viewer"] {
                let c = EventClient(try h.loggedIn(.unit(tenant: u, role: role)))
                try c.result("events.subscribe")
                subscribers.append((u, c))
            }
        }
        for p in partners {
            let c = EventClient(try h.loggedIn(.partner(p)))
            try c.result("events.subscribe")
            subscribers.append((p, c))
        }

        let failures = LockedBox<[String]>([])
        let port = h.port
        let keys = try units.map { try h.key(.unit(tenant: $0, role: "manager")) }
        let db = h.db
        let workers = Thread.detachNewThreadWithGroup(count: units.count + 1) { i in
            if i == units.count {
                // Lead offers from random units to random partners they grant.
                guard let conn = try? db.connect() else { failures.append("connect"); return }
                for n in 0..<20 {
                    let p = partners.randomElement()!
                    let u = grants[p]!.randomElement()!
                    do {
                        try conn.query("""
                            with l as (insert into crm.lead (tenant_id, name, email, status, assigned_partner_id, assigned_at)
                                       select t.id, 'Lead ' || \(String(n)), \("lead\(n)@\(u).example"), 'assigned', p.id, now()
                                         from crm.tenant t, crm.partner p where t.slug = \(u) and p.slug = \(p) returning *)
                            insert into crm.lead_offer (tenant_id, lead_id, partner_id, expires_at)
                            select l.tenant_id, l.id, l.assigned_partner_id, now() + interval '2 days' from l
                            """)
                    } catch { failures.append("offer: \(error)") }
                    Thread.sleep(forTimeInterval: 0.02)
                }
                return
            }
            do {
                let c = EventClient(try TestClient(port: port))
                try c.result("auth.login", ["key": .string(keys[i])])
                let customer = try c.result("customers.create", ["name": "Fuzz customer", "phones": .array([.string("+49 30 80000\(i)")])])
                let product = try c.result("products.create", ["sku": "FZ", "name": "Pump", "list_price": "10", "unit_cost": "6"])
                var orders: [JSON] = []
                for _ in 0..<40 {
                    switch Int.random(in: 0..<4) {
                    case 0, 1:
                        let o = try c.result("orders.create", ["customer_id": customer["id"]!,
                                                               "lines": [["product_id": product["id"]!, "quantity": "2"]]])
                        orders.append(o["id"]!)
                    case 2:
                        if let o = orders.randomElement() {
                            _ = try c.call("orders.set_status", ["id": o, "status": .string(["shipped", "delivered", "cancelled"].randomElement()!)])
                        }
                    default:
                        if Bool.random() {
                            try c.result("cases.open", ["customer_id": customer["id"]!, "category": "complaint", "subject": "Fuzz"])
                        } else {
                            try c.result("calls.record", ["phone": .string("+49 30 80000\(i)"), "wait_seconds": 1, "reason": "order"])
                        }
                    }
                }
            } catch { failures.append("unit \(units[i]): \(error)") }
        }
        workers.wait()
        XCTAssertEqual(failures.value, [])

        // What each stream holds, and what each principal may read, from the database.
        let conn = try h.db.connect()
        func strings(_ sql: PQQuery) throws -> Set<String> { Set(try conn.query(sql).map { try $0.get("v", as: String.self) }) }
        for (who, client) in subscribers {
            let isPartner = partners.contains(who)
            let total = try conn.query("""
                select count(*)::int as n from crm.event e
                 where e.stream_id = (select id from crm.tenant where slug = \(who) union all select id from crm.partner where slug = \(who))
                """)[0].get("n", as: Int.self)
            XCTAssertGreaterThan(total, 0, who)
            let complete = client.waitFor(seconds: 30) { events in
                events.filter { $0["topic"]?.stringValue != "gap" }.count >= total || events.contains { $0["topic"]?.stringValue == "gap" }
            }
            XCTAssertTrue(complete, "\(who) got \(client.events.count) of \(total)")
            // A gap (the client was not reading) is filled from events.since, as a client would.
            var received = client.events.filter { $0["topic"]?.stringValue != "gap" }
            if let gap = client.events.first(where: { $0["topic"]?.stringValue == "gap" }) {
                received = received.filter { ($0.eventSeq ?? 0) <= (gap.eventSeq ?? 0) } + (try client.since(gap["cursor"]?.stringValue))
            }
            XCTAssertEqual(received.compactMap(\.eventSeq), Array(1...Int64(total)), "\(who): complete, in order, once")

            let orders = try strings("select o.id::text as v from crm.sales_order o join crm.tenant t on t.id = o.tenant_id where t.slug = \(who)")
            let cases = try strings("select k.id::text as v from crm.service_case k join crm.tenant t on t.id = k.tenant_id where t.slug = \(who)")
            let calls = try strings("select k.id::text as v from crm.call_record k join crm.tenant t on t.id = k.tenant_id where t.slug = \(who)")
            let offered = try strings("""
                select o.lead_id::text as v from crm.lead_offer o join crm.partner p on p.id = o.partner_id where p.slug = \(who)
                """)
            for event in received {
                let topic = event["topic"]?.stringValue ?? ""
                let data = event["data"] ?? .null
                let unit = event["unit"]?.stringValue ?? ""
                if isPartner {
                    let mine = topic.hasPrefix("lead.") && grants[who]!.contains(unit)
                        && offered.contains(data["lead_id"]?.stringValue ?? "")
                        && !event.serialized.contains("cost") && !event.serialized.contains("margin")
                    if !mine { failures.append("\(who) received \(event.serialized.prefix(200))") }
                } else {
                    var mine = unit == who
                    switch topic {
                    case "order.created", "order.status": mine = mine && orders.contains(data["order_id"]?.stringValue ?? "")
                    case "case.opened": mine = mine && cases.contains(data["case_id"]?.stringValue ?? "")
                    case "call.incoming": mine = mine && calls.contains(data["call_id"]?.stringValue ?? "")
                    default: mine = false
                    }
                    if !mine { failures.append("\(who) received \(event.serialized.prefix(200))") }
                }
            }
        }
        XCTAssertEqual(failures.value, [])
        await h.stop()
    }

    /// PostgreSQL restarts (fast and immediate) while a unit creates orders and a client is
    /// subscribed: afterwards the client has every event of the unit's stream once, in order, with
    /// no gap, live; and events.since from where it subscribed answers the same.
    func testPostgresRestartLosesAndRepeatsNoEvent() async throws {
        try XCTSkipIf(TestDatabase.restartCommand == nil, "CRM_TEST_PG_RESTART not set")
        let h = try await ServerHarness.start("events-restart", poolSize: 6)
        try h.createTenant("rs-unit")
        let key = try h.key(.unit(tenant: "rs-unit", role: "agent"))
        let subscriber = EventClient(try h.loggedIn(.unit(tenant: "rs-unit", role: "manager")))
        let start = try subscriber.result("events.subscribe", ["topics": ["order.created"]])
        let setup = EventClient(try h.loggedIn(.unit(tenant: "rs-unit", role: "manager")))
        let customer = try setup.result("customers.create", ["name": "Restart customer"])
        let product = try setup.result("products.create", ["sku": "RS", "name": "Filter", "list_price": "5", "unit_cost": "2"])
        let stop = LockedBox<Bool>(false)
        let acknowledged = LockedBox<Int>(0)
        let port = h.port
        let writers = Thread.detachNewThreadWithGroup(count: 3) { w in
            var c = try? TestClient(port: port)
            _ = try? c?.call("auth.login", ["key": .string(key)])
            var n = 0
            while !stop.value {
                n += 1
                while !stop.value {
                    let params: JSONObject = ["customer_id": customer["id"]!, "idempotency_key": .string("rs-\(w)-\(n)"),
                                              "lines": [["product_id": product["id"]!, "quantity": "1"]]]
                    if let r = try? c?.call("orders.create", params), r["result"] != nil { acknowledged.increment(); break }
                    Thread.sleep(forTimeInterval: 0.05)
                    c = try? TestClient(port: port)
                    _ = try? c?.call("auth.login", ["key": .string(key)])
                }
            }
        }
        for mode in ["fast", "immediate"] {
            try await Task.sleep(for: .milliseconds(800))
            _ = subscriber.waitFor(seconds: 0.3) { _ in false }
            try TestDatabase.restartCluster(mode: mode)
        }
        try await Task.sleep(for: .milliseconds(800))
        stop.set(true)
        writers.wait()

        let conn = try h.db.connect()
        let total = try conn.query("""
            select count(*)::int as n from crm.event e join crm.tenant t on t.id = e.tenant_id where t.slug = 'rs-unit' and e.topic = 'order.created'
            """)[0].get("n", as: Int.self)
        let orders = try conn.query("""
            select count(*)::int as n from crm.sales_order o join crm.tenant t on t.id = o.tenant_id where t.slug = 'rs-unit'
            """)[0].get("n", as: Int.self)
        XCTAssertEqual(total, orders, "an event for every committed order, no more")
        XCTAssertGreaterThanOrEqual(orders, acknowledged.value)
        XCTAssertTrue(subscriber.waitFor(seconds: 30) { $0.count >= total }, "received \(subscriber.events.count) of \(total)")
        let live = subscriber.events.compactMap(\.eventSeq)
        XCTAssertEqual(live.count, Set(live).count, "no event twice")
        XCTAssertEqual(live, live.sorted(), "in order")
        // The stream holds only order.created events here (customers and products make none): 1...total.
        XCTAssertEqual(live, Array(1...Int64(total)), "no gap")
        XCTAssertEqual(try subscriber.since(start["cursor"]?.stringValue).compactMap(\.eventSeq), live, "events.since answers the same")
        await h.stop()
    }
}
