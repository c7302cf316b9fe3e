import CRMProtocol
import ArgumentParser
import CRMServer
import Foundation
import Glibc

/// A small client for scripts: logs in with CRM_KEY (if set), sends one request, prints the
/// result as JSON on stdout, or the error on stderr with exit status 1.
struct CallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Send one request to a running server (CRM_URL, CRM_KEY) and print the result.")

    @Argument(help: "Method name, e.g. customers.lookup.") var method: String
    @Argument(help: "Params as a JSON object (default {}).") var params: String = "{}"
    @Option(help: "HOST:PORT of the server (default $CRM_URL or 127.0.0.1:7878).") var url: String?
    @Option(help: "API key (default $CRM_KEY).") var key: String?

    func run() throws {
        let (host, port) = try parseListen(url ?? Env.get("CRM_URL") ?? "127.0.0.1:7878")
        let parsedParams: JSON
        do {
            parsedParams = try JSONParser.parse(params)
        } catch {
            throw ValidationError("params are not valid JSON: \(error)")
        }
        do {
            let client = try LineClient(host: host, port: port)
            if let key = key ?? Env.get("CRM_KEY") {
                let login = try client.call(["jsonrpc": "2.0", "id": 0, "method": "auth.login", "params": ["key": .string(key)]])
                if let error = login["error"] { report(error) }
            }
            let response = try client.call(["jsonrpc": "2.0", "id": 1, "method": .string(method), "params": parsedParams])
            if let error = response["error"] { report(error) }
            print(response["result"]?.serialized ?? "null")
        } catch {
            fail(error)
        }
    }

    private func report(_ error: JSON) -> Never {
        FileHandle.standardError.write(Data("crm: \(error.serialized)\n".utf8))
        Glibc.exit(1)
    }
}

/// A blocking, one-request-at-a-time client over a TCP socket.
final class LineClient {
    private let fd: Int32
    private var pending: [UInt8] = []

    init(host: String, port: Int) throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var info: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &info) == 0, let first = info else {
            throw CLIError("cannot resolve \(host)")
        }
        defer { freeaddrinfo(info) }
        fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0, connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            if fd >= 0 { close(fd) }
            throw CLIError("cannot connect to \(host):\(port): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    func call(_ request: JSON) throws -> JSON {
        var bytes: [UInt8] = []
        request.write(into: &bytes)
        bytes.append(10)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw CLIError("connection lost while sending") }
            sent += n
        }
        while true {
            if let nl = pending.firstIndex(of: 10) {
                let line = Array(pending[..<nl])
                pending.removeSubrange(...nl)
                return try JSONParser.parse(line)
            }
            var buffer = [UInt8](repeating: 0, count: 65_536)
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { throw CLIError("the server closed the connection") }
            pending.append(contentsOf: buffer[..<n])
        }
    }
}
