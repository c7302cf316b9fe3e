public import CRMProtocol
import Foundation
import Glibc

/// A blocking line client with a receive timeout, so a broken server fails a test instead of
/// hanging it. Deliberately simple: it is the stand-in for `nc`.
public final class TestClient: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ d: String) { description = d }
    }

    public let fd: Int32
    private var pending: [UInt8] = []
    private var nextID = 1

    public init(port: Int, timeoutSeconds: Int = 20) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw Failure("connect failed: \(String(cString: strerror(errno)))")
        }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Drops the connection abruptly (no linger), whatever is unread or unsent; a thread blocked
    /// sending on it gets an error.
    public func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        shutdown(fd, Int32(SHUT_RDWR))
    }

    public func send(raw bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure("send failed: \(String(cString: strerror(errno)))") }
            sent += n
        }
    }

    public func send(line: String) throws { try send(raw: Array((line + "\n").utf8)) }

    /// The next line, or nil when the server closed the connection.
    public func readLine() throws -> String? {
        while true {
            if let nl = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<nl], as: UTF8.self)
                pending.removeSubrange(...nl)
                return line
            }
            var buffer = [UInt8](repeating: 0, count: 65_536)
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return nil }
            if n < 0 {
                if errno == ECONNRESET { return nil }
                throw Failure("recv failed or timed out: \(String(cString: strerror(errno)))")
            }
            pending.append(contentsOf: buffer[..<n])
        }
    }

    public func readJSON() throws -> JSON {
        guard let line = try readLine() else { throw Failure("connection closed") }
        return try JSONParser.parse(line)
    }

    /// Sends a request and waits for its answer.
    public func call(_ method: String, _ params: JSONObject = [:]) throws -> JSON {
        let id = nextID
        nextID += 1
        let request: JSON = ["jsonrpc": "2.0", "id": .number(id), "method": .string(method), "params": .object(params)]
        try send(line: request.serialized)
        return try readJSON()
    }

    /// The result of a call, or a thrown failure carrying the error.
    public func result(_ method: String, _ params: JSONObject = [:]) throws -> JSON {
        let response = try call(method, params)
        guard let result = response["result"] else { throw Failure("\(method) failed: \(response.serialized)") }
        return result
    }

    /// True when the server has closed the connection (reads EOF within the timeout); false when
    /// a line arrives or the read times out with the connection still open.
    public func isClosedByServer() -> Bool {
        do { return try readLine() == nil } catch { return false }
    }
}

extension JSON {
    public var errorCode: Int? { self["error"]?["code"]?.intValue }
}
