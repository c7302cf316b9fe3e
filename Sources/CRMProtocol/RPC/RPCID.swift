/// A request id as the client gave it: a string, a number (kept as its lexeme) or null.
public enum RPCID: Sendable, Hashable {
    case string(String)
    case number(String)
    case null

    init?(_ json: JSON) {
        switch json {
        case .string(let s): self = .string(s)
        case .number(let n): self = .number(n)
        case .null: self = .null
        default: return nil
        }
    }

    var json: JSON {
        switch self {
        case .string(let s): return .string(s)
        case .number(let n): return .number(n)
        case .null: return .null
        }
    }
}
