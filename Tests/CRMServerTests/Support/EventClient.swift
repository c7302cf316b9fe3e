import ProtocolTestSupport
@testable import CRMProtocol
import Foundation

/// A test client that also receives server-sent events: answers are matched to their requests
/// by id, `event` notifications arriving in between are kept in `events` (their params).
final class EventClient: @unchecked Sendable {
    let client: TestClient
    private(set) var events: [JSON] = []
    private(set) var stray: [JSON] = []
    private var nextID = 1

    init(_ client: TestClient) { self.client = client }

    /// Sends a request and returns its answer, keeping the events that came before it.
    func call(_ method: String, _ params: JSONObject = [:]) throws -> JSON {
        let id = "ev-\(nextID)"
        nextID += 1
        try client.send(line: JSON.object(["jsonrpc": "2.0", "id": .string(id), "method": .string(method), "params": .object(params)]).serialized)
        while true {
            let line = try client.readJSON()
            if line["method"]?.stringValue == "event" { events.append(line["params"] ?? .null); continue }
            if line["id"]?.stringValue == id { return line }
            stray.append(line)
        }
    }

    @discardableResult
    func result(_ method: String, _ params: JSONObject = [:]) throws -> JSON {
        let answer = try call(method, params)
        guard let result = answer["result"] else { throw TestClient.Failure("\(method) failed: \(answer.serialized)") }
        return result
    }

    /// Reads events until `done(events)` holds or `seconds` pass; true when it held.
    @discardableResult
    func waitFor(seconds: Double = 15, _ done: ([JSON]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !done(events) {
            guard Date() < deadline else { return false }
            // A ping's answer comes back whatever happens, so the read never waits long.
            _ = try? call("server.ping")
            if !done(events) { Thread.sleep(forTimeInterval: 0.05) }
        }
        return true
    }

    func topics() -> [String] { events.compactMap { $0["topic"]?.stringValue } }

    /// Every event the caller missed after `cursor`, through events.since (all pages).
    func since(_ cursor: String?, topics: [String]? = nil) throws -> [JSON] {
        var out: [JSON] = []
        var next = cursor
        repeat {
            var params: JSONObject = ["limit": 500]
            if let next { params["cursor"] = .string(next) }
            if let topics { params["topics"] = .array(topics.map { .string($0) }) }
            let page = try result("events.since", params)
            let items = page["items"]?.arrayValue ?? []
            out += items
            if let last = items.last?["cursor"]?.stringValue { next = last }
            if page["next_cursor"] == .null { break }
        } while true
        return out
    }

    func dropEvents() { events.removeAll() }
}

extension JSON {
    /// An event's number, from its cursor (Paging.encode of the number).
    var eventSeq: Int64? {
        guard let cursor = self["cursor"]?.stringValue, let key = try? Paging.decode(cursor) else { return nil }
        return Int64(key)
    }
}
