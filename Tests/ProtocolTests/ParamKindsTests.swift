@testable import CRMProtocol
import CRMModel
import XCTest

/// Parameter kinds that replace checks by hand: bounded amounts and shaped strings are refused
/// with -32602 naming the field before a handler runs, and rpc.discover documents their bounds.
final class ParamKindsTests: XCTestCase {
    let specs: [ParamSpec] = [ParamSpec("pct", .decimalWithin(maxScale: 2, min: 0, max: 100)), .amount("price", min: 0), .month("month")]

    private func refusal(_ params: JSONObject) -> CRMError? {
        do {
            _ = try ParamValidation.validate(.object(params), against: specs)
            return nil
        } catch {
            return error
        }
    }

    func testBoundedAmounts() {
        XCTAssertNil(refusal(["pct": "12.50", "price": .number("0")]))
        XCTAssertEqual(refusal(["pct": .number("100.01")])?.field, "pct")
        XCTAssertEqual(refusal(["pct": "-1"])?.message, "invalid params: pct must be between 0 and 100")
        XCTAssertEqual(refusal(["price": "-0.01"])?.field, "price", "a price is never negative")
        XCTAssertEqual(refusal(["pct": "1.234"])?.reason?.hasPrefix("must be a decimal with at most 2 decimals"), true)
    }

    func testMonths() {
        XCTAssertNil(refusal(["month": "2026-02"]))
        for bad in ["2026-13", "2026-00", "2026-2", "26-02", "2026-02-01", "february"] {
            XCTAssertEqual(refusal(["month": .string(bad)])?.reason, "must be YYYY-MM", bad)
        }
        XCTAssertEqual(refusal(["month": .number("202602")])?.field, "month")
    }

    func testTheSchemaTellsClientsTheBounds() {
        XCTAssertEqual(specs[0].kind.schema["minimum"], .number("0"))
        XCTAssertEqual(specs[0].kind.schema["maximum"], .number("100"))
        XCTAssertEqual(specs[2].kind.schema["pattern"], "^[0-9]{4}-(0[1-9]|1[0-2])$")
    }
}
