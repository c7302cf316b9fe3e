/// A statement and its bound parameters.
///
/// Built by string interpolation: every interpolated value becomes a `$n` placeholder and travels
/// as a bound parameter, never as SQL text. Raw SQL needs the explicit `unsafeSQL:` label, which is
/// for identifiers and fragments that come from the program, never from input.
///
///     let q: PQQuery = "select name from crm.customer where id = \(id) and tenant_id = \(tenant)"
public struct PQQuery: Sendable, Hashable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public var sql: String
    public var parameters: [String?]

    public init(unsafeSQL sql: String, parameters: [String?] = []) {
        self.sql = sql
        self.parameters = parameters
    }

    public init(stringLiteral value: StaticString) {
        self.sql = value.description
        self.parameters = []
    }

    public init(stringInterpolation: StringInterpolation) {
        self.sql = stringInterpolation.sql
        self.parameters = stringInterpolation.parameters
    }

    /// Only the SQL text: parameters may hold personal data and stay out of logs.
    public var description: String { sql }

    public struct StringInterpolation: StringInterpolationProtocol {
        public typealias StringLiteralType = StaticString
        var sql = ""
        var parameters: [String?] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            parameters.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: StaticString) {
            sql += literal.description
        }

        /// A bound parameter.
        public mutating func appendInterpolation(_ value: some PQEncodable) {
            parameters.append(value.pqText)
            sql += "$\(parameters.count)"
        }

        /// A bound parameter that may be NULL.
        public mutating func appendInterpolation(_ value: (some PQEncodable)?) {
            parameters.append(value?.pqText)
            sql += "$\(parameters.count)"
        }

        /// Program-supplied SQL text (an identifier, a fragment). Never pass input here.
        public mutating func appendInterpolation(unsafeSQL fragment: String) {
            sql += fragment
        }
    }
}
