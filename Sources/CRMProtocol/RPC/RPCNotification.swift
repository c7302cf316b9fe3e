/// A notification the server sends (JSON-RPC without an id), declared so that `rpc.discover`
/// describes it: OpenRPC 1.3 has no place for server-to-client messages, so the document lists
/// them under `x-notifications`, each with its params' JSON schema.
public struct RPCNotification: Sendable {
    public let name: String
    public let summary: String
    /// The JSON schema of `params`.
    public let params: JSON

    public init(_ name: String, summary: String, params: JSON) {
        self.name = name
        self.summary = summary
        self.params = params
    }
}
