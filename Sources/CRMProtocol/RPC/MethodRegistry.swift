/// Every method the server answers, by name.
public struct MethodRegistry: Sendable {
    public private(set) var methods: [String: RPCMethod] = [:]
    /// What the server sends unasked (after `events.subscribe`), for `rpc.discover`.
    public private(set) var notifications: [RPCNotification] = []

    public init(_ groups: [[RPCMethod]] = []) {
        for group in groups { for m in group { register(m) } }
    }

    public mutating func register(_ method: RPCMethod) {
        precondition(methods[method.name] == nil, "method \(method.name) registered twice")
        precondition(Self.isValidName(method.name), "method name \(method.name) is not area.verb")
        methods[method.name] = method
    }

    public mutating func declare(_ notification: RPCNotification) {
        precondition(!notifications.contains { $0.name == notification.name }, "notification \(notification.name) declared twice")
        notifications.append(notification)
    }

    public subscript(name: String) -> RPCMethod? { methods[name] }

    public var sortedNames: [String] { methods.keys.sorted() }

    /// `area.verb`, lower case with underscores.
    static func isValidName(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { part in
            !part.isEmpty && part.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLowercase || $0.isNumber)) }
        }
    }
}
