import Foundation

/// Opens many connections and leaves them idle, for the server's memory per connection.
struct IdleConnections {
    let host: String
    let port: UInt16
    let count: Int

    func hold(seconds: Double, readyFile: String?) throws {
        let open = try Connection.openMany(host: host, port: port, count: count)
        // Every connection answers a ping, so the server has really accepted them all.
        for c in open { try c.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server.ping\"}\n") }
        for c in open { _ = try c.readLine() }
        print("\(count) connections open and idle")
        signalReadyThenHold(readyFile: readyFile, seconds: seconds)
    }
}
