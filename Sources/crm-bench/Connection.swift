import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP connection that reads lines: enough for a load generator thread.
final class Connection {
    let fd: Int32
    private var pending: [UInt8] = []
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)

    init(host: String, port: UInt16, timeoutSeconds: Int = 30) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw BenchError("connect: \(message)")
        }
    }

    deinit { close(fd) }

    /// Opens `count` connections, first raising this process's open-file limit to fit them.
    static func openMany(host: String, port: UInt16, count: Int) throws -> [Connection] {
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
        return open
    }

    func send(_ text: String) throws {
        var bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw BenchError("send: \(String(cString: strerror(errno)))") }
            sent += n
        }
    }

    /// The complete lines one `recv` brings (none when it ends mid-line), or nil when the server
    /// closed the connection. For a socket `poll` found readable: it does not block then.
    func readAvailableLines() throws -> [[UInt8]]? {
        let n = recv(fd, &buffer, buffer.count, 0)
        if n == 0 { return nil }
        guard n > 0 else { throw BenchError("recv: \(String(cString: strerror(errno)))") }
        pending.append(contentsOf: buffer[..<n])
        var lines: [[UInt8]] = []
        var start = 0
        while let nl = pending[start...].firstIndex(of: 10) {
            lines.append(Array(pending[start..<nl]))
            start = nl + 1
        }
        if start > 0 { pending.removeFirst(start) }
        return lines
    }

    /// The next line, or nil when the server closed the connection.
    func readLine() throws -> [UInt8]? {
        while true {
            if let nl = pending.firstIndex(of: 10) {
                let line = Array(pending[..<nl])
                pending.removeSubrange(...nl)
                return line
            }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return nil }
            guard n > 0 else { throw BenchError("recv: \(String(cString: strerror(errno)))") }
            pending.append(contentsOf: buffer[..<n])
        }
    }
}

/// Creates `readyFile` (for the script that measures meanwhile), then waits `seconds`.
func signalReadyThenHold(readyFile: String?, seconds: Double) {
    if let readyFile { _ = FileManager.default.createFile(atPath: readyFile, contents: Data()) }
    Thread.sleep(forTimeInterval: seconds)
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// The value of `"id":` and whether the line is an error, without a full JSON parse (the
/// generator must not be the bottleneck).
func responseID(_ line: [UInt8]) -> (id: Int, isError: Bool)? {
    let key = Array("\"id\":".utf8)
    guard let start = line.firstRange(of: key)?.upperBound else { return nil }
    var i = start, id = 0, digits = 0
    while i < line.count, line[i] >= 48, line[i] <= 57 { id = id * 10 + Int(line[i] - 48); i += 1; digits += 1 }
    guard digits > 0 else { return nil }
    return (id, line.firstRange(of: Array("\"error\":".utf8)) != nil)
}
