import CRMModel
import NIOCore

/// Writes responses as single lines. Results that PostgreSQL built as JSON text are spliced in
/// verbatim (`JSON.raw`), never decoded and encoded again.
enum RPCResponse {
    static func result(id: RPCID, _ result: JSON) -> JSON {
        .object(["jsonrpc": "2.0", "id": id.json, "result": result])
    }

    static func error(id: RPCID?, _ error: CRMError) -> JSON {
        var body: JSONObject = ["code": .number(String(error.code.rawValue)), "message": .string(error.message)]
        if error.field != nil || error.reason != nil || error.limit != nil {
            var data = JSONObject()
            if let field = error.field { data["field"] = .string(field) }
            if let reason = error.reason { data["reason"] = .string(reason) }
            if let limit = error.limit { data["limit"] = .number(limit) }
            body["data"] = .object(data)
        }
        return .object(["jsonrpc": "2.0", "id": (id ?? .null).json, "error": .object(body)])
    }

    /// The line for one message (an object or a batch array), ending in `\n`.
    static func line(_ message: JSON, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 256)
        message.write(into: &buffer)
        buffer.writeInteger(UInt8(ascii: "\n"))
        return buffer
    }
}
