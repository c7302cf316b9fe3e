import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Opens many connections and leaves them idle, for the server's memory per connection.
struct IdleConnections {
    let host: String
    let port: UInt16
    let count: Int

    func hold(seconds: Double, readyFile: String?) throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = min(limit.rlim_max, rlim_t(count + 1024))
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        var open: [Connection] = []
        open.reserveCapacity(count)
        for i in 0..<count {
            do {
                open.append(try Connection(host: host, port: port))
            } catch {
                throw BenchError("connection \(i + 1) of \(count): \(error)")
            }
        }
        // Every connection answers a ping, so the server has really accepted them all.
        for c in open { try c.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server.ping\"}\n") }
        for c in open { _ = try c.readLine() }
        print("\(count) connections open and idle")
        if let readyFile { FileManager.default.createFile(atPath: readyFile, contents: Data()) }
        Thread.sleep(forTimeInterval: seconds)
    }
}
