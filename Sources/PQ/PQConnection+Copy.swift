import CLibPQ

extension PQConnection {
    /// Streams raw COPY data (text or CSV, as the statement says) into `COPY ... FROM STDIN`.
    /// Either every row lands or none does; a bad row fails the COPY with its line number in
    /// `PQError.copyLine`. Returns the number of rows copied.
    @discardableResult
    public func copyIn(_ statement: PQQuery, chunks: some Sequence<[UInt8]>) throws(PQError) -> Int {
        let start = withParameters(statement.parameters) { count, values in
            PQexecParams(raw, statement.sql, count, nil, values, nil, nil, 0)
        }
        let started = try check(start, query: statement.sql, expect: PGRES_COPY_IN)
        _ = started
        var failure: PQError?
        for chunk in chunks where !chunk.isEmpty {
            let sent = chunk.withUnsafeBufferPointer { buf in
                buf.withMemoryRebound(to: CChar.self) { PQputCopyData(raw, $0.baseAddress, Int32($0.count)) }
            }
            if sent != 1 {
                failure = PQError.connection(raw, code: isHealthy ? .unexpected : .connectionLost, query: statement.sql)
                break
            }
        }
        let ended = failure == nil ? PQputCopyEnd(raw, nil) : PQputCopyEnd(raw, "client aborted the copy")
        if ended != 1 && failure == nil {
            failure = PQError.connection(raw, code: .connectionLost, query: statement.sql)
        }
        // Drain every result; the first error wins.
        var copied = 0
        while let result = PQgetResult(raw) {
            do {
                let r = try check(result, query: statement.sql, expect: PGRES_COMMAND_OK)
                copied = r.affectedRows
            } catch {
                if failure == nil { failure = error }
            }
        }
        if let failure { throw failure }
        return copied
    }

    /// Copies rows in PostgreSQL's text format; nil is NULL. Values are escaped here, so any
    /// text (tabs, newlines, backslashes) round-trips.
    @discardableResult
    public func copyIn(_ statement: PQQuery, rows: some Sequence<[String?]>) throws(PQError) -> Int {
        try copyIn(statement, chunks: CopyTextEncoder(rows: rows))
    }

    /// Streams `COPY ... TO STDOUT`: `body` gets each row as PostgreSQL formatted it (text, CSV,
    /// with its line end), as it arrives, so an export of any size holds one row in memory.
    /// Returns the number of rows. An error thrown by `body` cancels the COPY.
    @discardableResult
    public func copyOut(_ statement: PQQuery, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let start = withParameters(statement.parameters) { count, values in
            PQexecParams(raw, statement.sql, count, nil, values, nil, nil, 0)
        }
        _ = try check(start, query: statement.sql, expect: PGRES_COPY_OUT)
        var failure: (any Error)?
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let n = PQgetCopyData(raw, &buffer, 0)
            if n > 0, let buffer {
                defer { PQfreemem(buffer) }
                if failure == nil {
                    do {
                        try body(UnsafeRawBufferPointer(start: buffer, count: Int(n)))
                    } catch {
                        failure = error
                        // Ask the server to stop; the rest of the data is drained below.
                        let cancel = PQgetCancel(raw)
                        var message = [CChar](repeating: 0, count: 256)
                        _ = PQcancel(cancel, &message, 256)
                        PQfreeCancel(cancel)
                    }
                }
                continue
            }
            if n == -2 && failure == nil { failure = PQError.connection(raw, code: isHealthy ? .unexpected : .connectionLost, query: statement.sql) }
            break
        }
        var copied = 0
        while let result = PQgetResult(raw) {
            do {
                copied = try check(result, query: statement.sql, expect: PGRES_COMMAND_OK).affectedRows
            } catch {
                if failure == nil { failure = error }
            }
        }
        if let failure { throw failure }
        return copied
    }
}

/// Encodes rows into COPY text format in chunks of about 64 KiB.
struct CopyTextEncoder<Rows: Sequence<[String?]>>: Sequence {
    let rows: Rows

    func makeIterator() -> Iterator { Iterator(rows: rows.makeIterator()) }

    struct Iterator: IteratorProtocol {
        var rows: Rows.Iterator
        static var chunkSize: Int { 64 * 1024 }

        mutating func next() -> [UInt8]? {
            var out: [UInt8] = []
            out.reserveCapacity(Self.chunkSize + 1024)
            while out.count < Self.chunkSize, let row = rows.next() {
                for (i, value) in row.enumerated() {
                    if i > 0 { out.append(9) }
                    guard let value else { out.append(contentsOf: [92, 78]); continue }  // \N
                    for byte in value.utf8 {
                        switch byte {
                        case 92: out.append(contentsOf: [92, 92])
                        case 9: out.append(contentsOf: [92, 116])
                        case 10: out.append(contentsOf: [92, 110])
                        case 13: out.append(contentsOf: [92, 114])
                        default: out.append(byte)
                        }
                    }
                }
                out.append(10)
            }
            return out.isEmpty ? nil : out
        }
    }
}
