/// The OpenRPC 1.x document answered by `rpc.discover`, built from the registry.
enum OpenRPC {
    static func document(_ registry: MethodRegistry, version: String) -> JSON {
        var methods: [JSON] = []
        for name in registry.sortedNames {
            let m = registry[name]!
            let params: [JSON] = m.params.map { p in
                var o: JSONObject = ["name": .string(p.name), "required": .bool(p.required), "schema": p.kind.schema]
                if !p.summary.isEmpty { o["description"] = .string(p.summary) }
                return .object(o)
            }
            var method: JSONObject = [
                "name": .string(m.name),
                "summary": .string(m.summary),
                "paramStructure": "either",
                "params": .array(params),
                "result": ["name": "result", "schema": [:]],
                "x-roles": .array(m.access.roleList.map { .string($0) }),
            ]
            // The SQL function a DBA can call in psql for the same answer (README).
            if let function = m.function { method["x-sql-function"] = .string(function) }
            methods.append(.object(method))
        }
        // Server-sent notifications (no id, no answer): OpenRPC has no section for them.
        let notifications: [JSON] = registry.notifications.map { n in
            ["name": .string(n.name), "summary": .string(n.summary),
             "params": ["name": "params", "schema": n.params]]
        }
        return [
            "openrpc": "1.3.2",
            "info": [
                "title": "crm",
                "version": .string(version),
                "description": "Line-delimited JSON-RPC 2.0 over TCP. Log in with auth.login; x-roles lists who may call each method, x-sql-function the SQL function that answers it.",
            ],
            "methods": .array(methods),
            "x-notifications": .array(notifications),
        ]
    }
}
