/// One element of a JSON-RPC 2.0 message, sorted out before any method runs.
enum RPCMessage: Sendable {
    /// A call. `id` is nil for a notification, which gets no answer.
    case call(id: RPCID?, method: String, params: JSON?)
    /// Not a valid request object; answered with -32600 (with its id when it had a usable one).
    case invalid(id: RPCID?, reason: String)

    /// Classifies one JSON value per the specification's "Request object" rules.
    init(_ json: JSON) {
        guard case .object(let object) = json else {
            self = .invalid(id: nil, reason: "a request must be an object")
            return
        }
        var id: RPCID?
        if let rawID = object["id"] {
            guard let parsed = RPCID(rawID) else {
                self = .invalid(id: nil, reason: "id must be a string, a number or null")
                return
            }
            id = parsed
        }
        guard object["jsonrpc"] == .string("2.0") else {
            self = .invalid(id: id, reason: "jsonrpc must be \"2.0\"")
            return
        }
        guard case .string(let method)? = object["method"] else {
            self = .invalid(id: id, reason: "method must be a string")
            return
        }
        let params = object["params"]
        if let params {
            switch params {
            case .object, .array: break
            default:
                self = .invalid(id: id, reason: "params must be an object or an array")
                return
            }
        }
        self = .call(id: id, method: method, params: params)
    }
}
