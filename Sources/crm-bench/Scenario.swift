import ArgumentParser
import Foundation

/// What a scenario sends: one JSON-RPC request line for a request number.
struct Scenario: Sendable {
    enum Kind: String, CaseIterable, ExpressibleByArgument, Sendable {
        case lookup, get, log, order, catalog, report, ping
    }

    let kind: Kind
    let customers: Int
    /// The seeded unit's customer and product ids (ids are opaque: no range gives them).
    let customerIDs: [Int64]
    let productIDs: [Int64]

    /// The request line (with `\n`) for id `id`; `random` draws customers and products.
    func request(id: Int, random: inout SplitMix) -> String {
        let n = Int(random.next() % UInt64(customers)) + 1
        let customer = customerIDs.isEmpty ? 0 : customerIDs[Int(random.next() % UInt64(customerIDs.count))]
        let product = productIDs.isEmpty ? 0 : productIDs[Int(random.next() % UInt64(productIDs.count))]
        let (method, params): (String, String)
        switch kind {
        case .lookup:
            // `crm seed` gives customer n the number +4930 followed by n in nine digits; asked as a local number.
            method = "customers.lookup"
            params = "{\"phone\":\"030 \(String(format: "%09d", n))\"}"
        case .get:
            method = "customers.get"
            params = "{\"id\":\"\(customer)\"}"
        case .log:
            method = "interactions.log"
            params = "{\"customer_id\":\"\(customer)\",\"channel\":\"phone\",\"direction\":\"inbound\",\"outcome\":\"bench\",\"cost\":\"0.50\"}"
        case .order:
            method = "orders.create"
            params = "{\"customer_id\":\"\(customer)\",\"lines\":[{\"product_id\":\"\(product)\",\"quantity\":1}]}"
        case .catalog:
            method = "catalog.search"
            params = "{\"limit\":20,\"query\":\"item \(n % 1000)\"}"
        case .report:
            method = "reports.customer_profit"
            params = "{\"granularity\":\"year\",\"period\":\"2025\",\"limit\":50}"
        case .ping:
            method = "server.ping"
            params = "{}"
        }
        return "{\"jsonrpc\":\"2.0\",\"id\":\(id),\"method\":\"\(method)\",\"params\":\(params)}\n"
    }
}

/// A small fast random generator per connection (reproducible, no locking).
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
