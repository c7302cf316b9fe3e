public import CRMProtocol
import CRMCore
import PQ

/// What a method's SQL function returns: one JSON value, or a page of `(key text, json text)` rows.
public enum SQLAnswer: Sendable {
    /// One value (`returns json`). With `notFound`, NULL is answered -32004 "<notFound> <id> not found".
    case json(notFound: String? = nil)
    /// A keyset page (`returns table (key text, json text)`), in the order of the cursor's kind.
    case page(PageOrder)

    public static let json = SQLAnswer.json()

    /// How a page is ordered, and so which arguments carry the cursor to the function:
    /// `.id` → `after bigint` (ids after it); `.newest` → `after_at timestamptz, after_id bigint`
    /// (rows before that time, newest first); `.rank` → `after_rank numeric, after_id bigint`
    /// (rows ranked below, highest first); `.key` → `after text` (rows whose key sorts after it,
    /// for keys the function composes itself); `.idDescending` → `before bigint` (ids below it,
    /// highest first). Each page function also takes `lim int`: limit + 1.
    public enum PageOrder: Sendable { case id, idDescending, newest, rank, key }
}

/// How the declared params reach the function: each as the argument of its name, or all in one
/// `params jsonb` argument (for writes where a param given as null differs from one left out,
/// e.g. `referred_by: null` clears it).
public enum SQLBinding: Sendable { case byName, object }

extension RPCMethod {
    /// A method whose statement is one SQL function (SQL/api/<area>.sql): the declaration's
    /// params are bound by name (`"customer_id" => $1`, in declaration order; absent ones NULL),
    /// so the function's arguments are named like the params, and a DBA calls the same function in
    /// psql under the same role and unit (README, "Calling a method's function in psql"). The
    /// statement text comes from the declaration alone; every value is a bound parameter.
    /// A method both units and partners call may name a function of its own for partners
    /// (`partnerFunction`): each side runs only the function its role may execute.
    public init(_ name: String, summary: String, params: [ParamSpec] = [], access: Access, sequential: Bool = false, lane: Lane? = nil,
                function: String, partnerFunction: String? = nil, answer: SQLAnswer = .json, binding: SQLBinding = .byName) {
        let call = SQLFunctionCall(function: function, params: params, answer: answer, binding: binding)
        let partnerCall = partnerFunction.map { SQLFunctionCall(function: $0, params: params, answer: answer, binding: binding) }
        self.init(name, summary: summary, params: params, access: access, sequential: sequential, lane: lane, function: function) { p, ctx in
            if let partnerCall, ctx.principal?.kind == .partner { return try await partnerCall.run(p, ctx) }
            return try await call.run(p, ctx)
        }
    }
}

/// The statement of a method declared with `function:`, and how its answer is read.
struct SQLFunctionCall: Sendable {
    let params: [ParamSpec]
    let answer: SQLAnswer
    let binding: SQLBinding
    /// `select f("a" => $1, "b" => $2) as json`, or `select key, json from f(…, "lim" => $n)`.
    let sql: String

    init(function: String, params: [ParamSpec], answer: SQLAnswer, binding: SQLBinding) {
        // A page's limit and cursor become `lim` and the cursor's arguments; a single answer may
        // take a `limit` of its own (the top N of a report).
        let bound: [ParamSpec]
        if case .page = answer { bound = params.filter { $0.name != "limit" && $0.name != "cursor" } } else { bound = params }
        var arguments = binding == .object ? ["params"] : bound.map(\.name)
        switch answer {
        case .json: break
        case .page(.id): arguments += ["after", "lim"]
        case .page(.idDescending): arguments += ["before", "lim"]
        case .page(.newest): arguments += ["after_at", "after_id", "lim"]
        case .page(.rank): arguments += ["after_rank", "after_id", "lim"]
        case .page(.key): arguments += ["after", "lim"]
        }
        let list = arguments.enumerated().map { "\"\($1)\" => $\($0 + 1)" }.joined(separator: ", ")
        switch answer {
        case .json: sql = "select \(function)(\(list)) as json"
        case .page: sql = "select key, json from \(function)(\(list))"
        }
        self.params = bound
        self.answer = answer
        self.binding = binding
    }

    func run(_ p: Params, _ ctx: RequestContext) async throws(CRMError) -> JSON {
        var values: [String?]
        switch binding {
        case .byName: values = params.map { p.sqlText($0) }
        case .object: values = [JSON.object(p.object).serialized]
        }
        switch answer {
        case .json(let notFound):
            let found = try await ctx.json(PQQuery(unsafeSQL: sql, parameters: values))
            if found == .null, let notFound {
                throw CRMError.notFound(p.id("id").map { "\(notFound) \($0)" } ?? notFound)
            }
            return found
        case .page(let order):
            switch order {
            case .id:
                values.append(String(try IDCursor.after(p.string("cursor"))))
            case .idDescending:
                values.append(String(try IDCursor.before(p.string("cursor"))))
            case .newest:
                let (at, id) = try TimeCursor.decode(p.string("cursor"))
                values += [at, id.map(String.init)]
            case .rank:
                let (rank, id) = try RankCursor.decode(p.string("cursor"))
                values += [rank, id.map(String.init)]
            case .key:
                values.append(try Paging.decode(p.string("cursor")))
            }
            values.append(String(p.limit + 1))
            return try await ctx.page(PQQuery(unsafeSQL: sql, parameters: values), limit: p.limit)
        }
    }
}

extension Params {
    /// A declared param as the text PostgreSQL parses for the function argument of its name (the
    /// argument's type decides): JSON for objects and arrays, digits for ids, exact decimals.
    func sqlText(_ spec: ParamSpec) -> String? {
        guard let value = object[spec.name], !value.isNull else { return nil }
        switch spec.kind {
        case .id: return id(spec.name).map(String.init)
        case .decimal, .decimalWithin, .number: return decimal(spec.name)
        case .integer: return value.int64Value.map(String.init)
        case .boolean: return value.boolValue.map { $0 ? "true" : "false" }
        case .object, .array: return value.serialized
        case .string, .oneOf, .shaped, .date, .timestamp, .uuid: return value.stringValue
        }
    }
}
