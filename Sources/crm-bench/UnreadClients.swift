import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Clients that send requests and never read the answers: each writes request lines until the
/// server stops reading (its socket would block), then holds the connection. The server must
/// keep its memory bounded (it stops reading a connection whose answers pile up) and keep
/// serving everyone else.
struct UnreadClients {
    let host: String
    let port: UInt16
    let count: Int
    let method: String

    func hold(seconds: Double, readyFile: String?) throws {
        let line = Array("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\(method)\"}\n".utf8)
        let chunk = (0..<64).flatMap { _ in line }
        let open = try Connection.openMany(host: host, port: port, count: count)
        for c in open { _ = fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK) }
        var sentBytes = 0
        // Write until every socket would block for a while: the server has stopped reading them.
        var blockedSince = [Date?](repeating: nil, count: count)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, blockedSince.contains(where: { $0 == nil || Date().timeIntervalSince($0!) < 2 }) {
            for (i, c) in open.enumerated() {
                let n = chunk.withUnsafeBytes { Glibc.send(c.fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
                if n > 0 {
                    sentBytes += n
                    blockedSince[i] = nil
                } else if blockedSince[i] == nil {
                    blockedSince[i] = Date()
                }
            }
            usleep(1000)
        }
        print("\(count) connections sent \(sentBytes / 1024) KiB of \(method) requests and read nothing")
        signalReadyThenHold(readyFile: readyFile, seconds: seconds)
    }
}
