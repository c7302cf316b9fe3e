import CRMProtocol
import CRMCore
import Foundation
import PQ

/// `server.ping`, `server.health` and `rpc.discover`: open before login.
enum ServerMethods {
    static func all() -> [RPCMethod] {
        [
            RPCMethod("server.ping", summary: "Answers \"pong\"; needs no login and no database.", access: .anyone) { _, _ in
                "pong"
            },
            RPCMethod("server.health", summary: "Whether the database answers (from the pool's last minutes of work when it is busy, without queueing for a connection), and the pool's state.",
                      access: .anyone) { _, ctx in
                await HealthReport.current(ctx.services).json
            },
            // Sequential: its answer is large (60 KB), so a connection has one in flight at a time
            // and the answer budget holds the reader before the next (200 clients that never read
            // their answers: about 2.0 GB of server memory with 16 in flight each, 0.7 GB so).
            RPCMethod("rpc.discover", summary: "The OpenRPC document of every method, its params and the roles that may call it.", access: .anyone, sequential: true) { _, ctx in
                ctx.rpc.openRPCDocument
            },
        ]
    }
}
