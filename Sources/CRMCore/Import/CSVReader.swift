/// A streaming RFC 4180 CSV reader: quoted fields with doubled quotes, embedded commas and
/// newlines, CRLF or LF. It yields each record with the line number it starts on, so an import
/// can report a bad row by the line a person sees in an editor.
///
/// It reads its input in chunks and holds one chunk and one record at a time, so a file of any
/// size is read in constant memory. A record holding what no text column can store (invalid
/// UTF-8, a NUL byte) or a field longer than `maxFieldBytes` is still yielded, with `flaw` saying
/// why, so the import rejects that row alone; an over-long field is not kept in memory.
public struct CSVReader: Sequence, IteratorProtocol {
    public struct Record: Sendable, Equatable {
        public let line: Int
        public let fields: [String]
        /// Why the row cannot be imported as it is; nil for a well-formed row.
        public var flaw: String? = nil
    }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case unterminatedQuote(line: Int)
        case unreadable(String)
        public var description: String {
            switch self {
            case .unterminatedQuote(let l): return "line \(l): a quoted field is never closed"
            case .unreadable(let why): return "cannot read the file: \(why)"
            }
        }
    }

    /// The longest field kept; a longer one makes its row a reject.
    public static let defaultMaxFieldBytes = 10_000

    private let nextChunk: () throws -> [UInt8]?
    private var chunk: [UInt8] = []
    private var position = 0
    private var atEnd = false
    private var line = 1
    private var started = false
    private let maxFieldBytes: Int
    /// Bytes consumed so far (for progress as a share of the file's size).
    public private(set) var bytesRead = 0
    public private(set) var problem: Problem?

    /// Reads chunks from `nextChunk` until it returns nil.
    public init(maxFieldBytes: Int = CSVReader.defaultMaxFieldBytes, chunks nextChunk: @escaping () throws -> [UInt8]?) {
        self.nextChunk = nextChunk
        self.maxFieldBytes = maxFieldBytes
    }

    public init(_ bytes: [UInt8], maxFieldBytes: Int = CSVReader.defaultMaxFieldBytes) {
        var pending: [UInt8]? = bytes
        self.init(maxFieldBytes: maxFieldBytes) {
            defer { pending = nil }
            return pending
        }
    }

    public init(_ text: String) { self.init(Array(text.utf8)) }

    /// The next record; blank lines are skipped.
    public mutating func next() -> Record? {
        while let record = readRecord() {
            if record.fields.count == 1 && record.fields[0].isEmpty && record.flaw == nil { continue }
            return record
        }
        return nil
    }

    /// The next byte, refilling from the source; nil at the end (or after a read error).
    private mutating func nextByte() -> UInt8? {
        while position >= chunk.count {
            guard !atEnd, problem == nil else { return nil }
            do {
                guard let more = try nextChunk() else { atEnd = true; return nil }
                chunk = more
                position = 0
            } catch {
                problem = .unreadable("\(error)")
                return nil
            }
            if !started {
                started = true
                // A UTF-8 byte order mark, which spreadsheet exports like to add.
                if chunk.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3; bytesRead += 3 }
            }
        }
        bytesRead += 1
        defer { position += 1 }
        return chunk[position]
    }

    private mutating func peekByte() -> UInt8? {
        guard let b = nextByte() else { return nil }
        position -= 1
        bytesRead -= 1
        return b
    }

    private mutating func readRecord() -> Record? {
        guard problem == nil, peekByte() != nil else { return nil }
        let start = line
        var fields: [String] = []
        var field: [UInt8] = []
        var fieldBytes = 0
        var quoted = false
        var flaw: String?
        func append(_ b: UInt8) {
            fieldBytes += 1
            if fieldBytes <= maxFieldBytes { field.append(b) }
        }
        func take() -> String {
            defer { field.removeAll(keepingCapacity: true); fieldBytes = 0 }
            if fieldBytes > maxFieldBytes {
                if flaw == nil { flaw = "field \(fields.count + 1) is longer than \(maxFieldBytes) bytes" }
                return ""
            }
            if flaw == nil, field.contains(0) { flaw = "contains a NUL byte" }
            if let s = String(validating: field, as: UTF8.self) { return s }
            if flaw == nil { flaw = "not valid UTF-8" }
            return String(decoding: field, as: UTF8.self)
        }
        while let b = nextByte() {
            if quoted {
                if b == UInt8(ascii: "\"") {
                    if peekByte() == UInt8(ascii: "\"") {
                        _ = nextByte()
                        append(b)
                    } else {
                        quoted = false
                    }
                } else {
                    if b == 10 { line += 1 }
                    append(b)
                }
                continue
            }
            switch b {
            case UInt8(ascii: "\"") where fieldBytes == 0:
                quoted = true
            case UInt8(ascii: ","):
                fields.append(take())
            case 13 where peekByte() == 10:
                continue
            case 10:
                line += 1
                fields.append(take())
                return Record(line: start, fields: fields, flaw: flaw)
            default:
                append(b)
            }
        }
        if problem != nil { return nil }
        if quoted {
            problem = .unterminatedQuote(line: start)
            return nil
        }
        fields.append(take())
        return Record(line: start, fields: fields, flaw: flaw)
    }
}
