@testable import CRMProtocol
import XCTest

/// Which lane a method's requests take by default: reports their own, reads (what a read-only
/// role may call) the read lane, the rest the pool's places; and the read lane's size.
final class LanesTests: XCTestCase {
    private func method(_ name: String, _ access: Access) -> RPCMethod {
        RPCMethod(name, summary: "", access: access) { _, _ in .null }
    }

    func testDefaultLanes() {
        XCTAssertEqual(method("reports.rfm", .unit).lane, .report)
        XCTAssertEqual(method("customers.get", .unit).lane, .read, "a viewer may call it: a read")
        XCTAssertEqual(method("orders.create", .unitWrite).lane, .standard, "writers only")
        XCTAssertEqual(method("catalog.search", .partner).lane, .standard)
        XCTAssertEqual(method("server.ping", .anyone).lane, .standard)
        let pointRead = RPCMethod("customers.get", summary: "", access: .unit, lane: .standard) { _, _ in .null }
        XCTAssertEqual(pointRead.lane, .standard, "a read by key may be declared to take the pool's places")
    }

    func testTheReadLaneIsHalfThePoolRoundedUp() {
        struct Nothing: ServerApplication {}
        for (capacity, reads) in [(1, 1), (2, 1), (9, 5), (16, 8), (17, 9)] {
            let services = RPCServices(limits: ServerLimits(), registry: MethodRegistry([]), capacity: capacity,
                                       gateTimeout: .seconds(1), application: Nothing())
            XCTAssertEqual(services.readGate.capacity, reads, "pool \(capacity)")
        }
        var limits = ServerLimits()
        limits.readConcurrency = 3
        let services = RPCServices(limits: limits, registry: MethodRegistry([]), capacity: 9, gateTimeout: .seconds(1), application: Nothing())
        XCTAssertEqual(services.readGate.capacity, 3)
    }
}
