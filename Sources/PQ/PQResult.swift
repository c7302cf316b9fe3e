import CLibPQ

/// The rows of a completed statement. Read-only once built, so it may be shared across threads;
/// the underlying `PGresult` is freed when the last reference goes.
public final class PQResult: @unchecked Sendable, RandomAccessCollection {
    let raw: OpaquePointer
    public let columns: [String]
    private let columnIndex: [String: Int]
    public let count: Int
    /// The command tag's row count for INSERT/UPDATE/DELETE/COPY ("UPDATE 3" → 3).
    public let affectedRows: Int

    init(taking raw: OpaquePointer) {
        self.raw = raw
        let n = Int(PQnfields(raw))
        var names: [String] = []
        names.reserveCapacity(n)
        var index: [String: Int] = [:]
        for i in 0..<n {
            // COPY results have columns but no names.
            let name = PQfname(raw, Int32(i)).map { String(cString: $0) } ?? ""
            names.append(name)
            if index[name] == nil { index[name] = i }
        }
        self.columns = names
        self.columnIndex = index
        self.count = Int(PQntuples(raw))
        self.affectedRows = Int(String(cString: PQcmdTuples(raw))) ?? 0
    }

    deinit { PQclear(raw) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public subscript(position: Int) -> PQRow { PQRow(result: self, index: position) }

    func column(named name: String) throws(PQError) -> Int {
        guard let i = columnIndex[name] else {
            throw PQError(.decode, "no column \"\(name)\" in the result")
        }
        return i
    }

    /// The text of one cell, or nil for NULL. The bytes are copied out of the PGresult.
    func text(row: Int, column: Int) -> Substring? {
        if PQgetisnull(raw, Int32(row), Int32(column)) == 1 { return nil }
        let length = Int(PQgetlength(raw, Int32(row), Int32(column)))
        let ptr = PQgetvalue(raw, Int32(row), Int32(column))!
        let buffer = UnsafeRawBufferPointer(start: ptr, count: length)
        return Substring(String(decoding: buffer, as: UTF8.self))
    }
}

/// One row of a result: typed accessors by column name or position.
/// A decode failure names the column and the wanted type.
public struct PQRow: Sendable {
    let result: PQResult
    let index: Int

    /// The value of `column`, which must not be NULL.
    public func get<T: PQDecodable>(_ column: String, as type: T.Type = T.self) throws(PQError) -> T {
        let i = try result.column(named: column)
        return try decode(i, name: column)
    }

    /// The value of `column`, or nil when it is NULL.
    public func optional<T: PQDecodable>(_ column: String, as type: T.Type = T.self) throws(PQError) -> T? {
        let i = try result.column(named: column)
        guard let text = result.text(row: index, column: i) else { return nil }
        return try T(pqText: text, column: column)
    }

    /// The value at position `column` (0-based), which must not be NULL.
    public func get<T: PQDecodable>(at column: Int, as type: T.Type = T.self) throws(PQError) -> T {
        guard column >= 0 && column < result.columns.count else {
            throw PQError(.decode, "no column \(column) in the result")
        }
        return try decode(column, name: result.columns[column])
    }

    public func isNull(_ column: String) throws(PQError) -> Bool {
        result.text(row: index, column: try result.column(named: column)) == nil
    }

    private func decode<T: PQDecodable>(_ i: Int, name: String) throws(PQError) -> T {
        guard let text = result.text(row: index, column: i) else {
            throw PQError(.decode, "column \"\(name)\" is NULL, wanted \(T.self)")
        }
        return try T(pqText: text, column: name)
    }

    static func decodeError(_ column: String, _ wanted: String, _ text: Substring) -> PQError {
        PQError(.decode, "column \"\(column)\": cannot decode \(wanted) from \"\(text.prefix(40))\"")
    }
}
