@testable import CRMProtocol
import CRMModel
import Foundation
import Logging
import NIOPosix
import ProtocolTestSupport
import ServiceLifecycle

/// The protocol server in-process with stub methods and no database: the JSON-RPC specification's
/// examples (as math.subtract, math.sum, spec.get_data, spec.notify_hello, spec.update), a login that takes any key naming a
/// role, server.ping, a sleep, and a method only managers may call.
final class StubServer: @unchecked Sendable {
    struct Nothing: ServerApplication {}

    let server: RPCServer
    let services: RPCServices
    let group: ServiceGroup
    let running: Task<Void, any Error>
    let port: Int

    static func methods() -> [RPCMethod] {
        [
            RPCMethod("math.subtract", summary: "minuend - subtrahend", params: [ParamSpec("minuend", .integer(min: -1_000_000, max: 1_000_000), required: true),
                                                                           ParamSpec("subtrahend", .integer(min: -1_000_000, max: 1_000_000), required: true)],
                      access: .anyone) { p, _ in
                .number(String(p.int("minuend")! - p.int("subtrahend")!))
            },
            RPCMethod("math.sum", summary: "The sum of its params", params: [ParamSpec("a", .integer(min: -100, max: 100)), ParamSpec("b", .integer(min: -100, max: 100)),
                                                                        ParamSpec("c", .integer(min: -100, max: 100))],
                      access: .anyone) { p, _ in
                .number(String((p.int("a") ?? 0) + (p.int("b") ?? 0) + (p.int("c") ?? 0)))
            },
            RPCMethod("spec.get_data", summary: "The spec's data", access: .anyone) { _, _ in
                .array(["hello", .number("5")])
            },
            RPCMethod("spec.notify_hello", summary: "A notification target", params: [ParamSpec("n", .integer(min: 0, max: 100))], access: .anyone) { _, _ in .null },
            RPCMethod("spec.update", summary: "A notification target", params: [ParamSpec("a", .integer(min: 0, max: 100)), ParamSpec("b", .integer(min: 0, max: 100)),
                                                                           ParamSpec("c", .integer(min: 0, max: 100)), ParamSpec("d", .integer(min: 0, max: 100)),
                                                                           ParamSpec("e", .integer(min: 0, max: 100))],
                      access: .anyone) { _, _ in .null },
            // "manager" or "agent" logs in as a unit user of that role; anything else is refused.
            RPCMethod("auth.login", summary: "Stub login", params: [.string("key", required: true, max: 100)], access: .anyone, sequential: true) { p, ctx in
                guard let role = p.string("key").flatMap(Role.init(rawValue:)), Role.unitRoles.contains(role) else {
                    throw CRMError(.unauthenticated, "invalid key")
                }
                ctx.session.login(Principal(id: UUID(), keyID: UUID(), kind: .unit, tenantID: UUID(), tenantSlug: "stub", partnerID: nil,
                                            partnerSlug: nil, appRole: role.rawValue, displayName: "stub \(role.rawValue)"))
                return ["role": .string(role.rawValue)]
            },
            RPCMethod("server.ping", summary: "pong", access: .anyone) { _, _ in "pong" },
            // Whether the handler runs on an event loop's thread (EventLoopTaskExecutor), before
            // and after it awaits something that resumes it from another thread.
            RPCMethod("spec.thread", summary: "Where handlers run", access: .anyone) { _, _ in
                let before = MultiThreadedEventLoopGroup.currentEventLoop != nil
                await Task.detached { try? await Task.sleep(for: .milliseconds(1)) }.value
                let after = MultiThreadedEventLoopGroup.currentEventLoop != nil
                return ["on_event_loop": .bool(before), "after_await": .bool(after)]
            },
            RPCMethod("spec.sleep", summary: "Sleeps, for deadlines and shutdown", params: [ParamSpec("seconds", .number, required: true)],
                      access: .unit) { p, _ in
                try? await Task.sleep(for: .milliseconds(Int((p.object["seconds"]?.doubleValue ?? 0) * 1000)))
                return "slept"
            },
            RPCMethod("plans.approve", summary: "Managers only", access: .roles([.manager])) { _, ctx in
                .string("approved by \(ctx.principal?.appRole ?? "?")")
            },
            // Offers `n` server-sent events of `bytes` each to the caller's connection at once:
            // how many were queued and how many dropped (EventOutlet's bound).
            RPCMethod("spec.events", summary: "A burst of events", params: [ParamSpec("n", .integer(min: 0, max: 1_000_000)),
                                                                        ParamSpec("bytes", .integer(min: 0, max: 100_000))],
                      access: .unit) { p, ctx in
                guard let outlet = ctx.session.events else { return .null }
                let padding = String(repeating: "x", count: p.int("bytes") ?? 0)
                var queued = 0, dropped = 0, most = 0
                for i in 1...max(1, p.int("n") ?? 1) {
                    let params: JSON = ["topic": "spec.burst", "cursor": .string(String(i)), "data": .string(padding)]
                    if outlet.offer(outlet.line(params: params.serialized), cursor: String(i)) == .queued { queued += 1 } else { dropped += 1 }
                    most = max(most, outlet.queuedCount)
                }
                return ["queued": .number(String(queued)), "dropped": .number(String(dropped)), "most_queued": .number(String(most))]
            },
            RPCMethod("reports.slow", summary: "A report that takes a while", params: [ParamSpec("ms", .integer(min: 0, max: 5_000))],
                      access: .unit) { p, _ in
                try? await Task.sleep(for: .milliseconds(p.int("ms") ?? 0))
                return "done"
            },
        ]
    }

    static func start(limits: ServerLimits = ServerLimits(), capacity: Int = 4) async throws -> StubServer {
        var logger = Logger(label: "test.stub")
        logger.logLevel = .critical
        let services = RPCServices(limits: limits, registry: MethodRegistry([methods()]), capacity: capacity,
                                   gateTimeout: .seconds(2), application: Nothing())
        let server = RPCServer(host: "127.0.0.1", port: 0, services: services, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: server)], logger: logger))
        let running = Task { try await group.run() }
        let address = try await server.listeningAddress()
        return StubServer(server: server, services: services, group: group, running: running, port: address.port!)
    }

    private init(server: RPCServer, services: RPCServices, group: ServiceGroup, running: Task<Void, any Error>, port: Int) {
        self.server = server
        self.services = services
        self.group = group
        self.running = running
        self.port = port
    }

    func client() throws -> TestClient { try TestClient(port: port) }

    /// For XCTest's synchronous class set-up and tear-down.
    static func startBlocking(limits: ServerLimits = ServerLimits()) -> StubServer {
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        Task {
            box.server = try! await start(limits: limits)
            done.signal()
        }
        done.wait()
        return box.server!
    }

    func stopBlocking() {
        let done = DispatchSemaphore(value: 0)
        Task {
            await stop()
            done.signal()
        }
        done.wait()
    }

    private final class Box: @unchecked Sendable { var server: StubServer? }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
    }
}
