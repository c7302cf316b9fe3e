/// A streaming RFC 4180 CSV reader: quoted fields with doubled quotes, embedded commas and
/// newlines, CRLF or LF. It yields each record with the line number it starts on, so an import
/// can report a bad row by the line a person sees in an editor. A record holding bytes no text
/// column can store (invalid UTF-8, NUL) is still yielded, with `flaw` saying why, so the import
/// rejects that row alone.
public struct CSVReader: Sequence, IteratorProtocol {
    public struct Record: Sendable, Equatable {
        public let line: Int
        public let fields: [String]
        /// Why the row cannot be imported as it is; nil for a well-formed row.
        public var flaw: String? = nil
    }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case unterminatedQuote(line: Int)
        public var description: String {
            switch self {
            case .unterminatedQuote(let l): return "line \(l): a quoted field is never closed"
            }
        }
    }

    private let bytes: [UInt8]
    private var position = 0
    private var line = 1
    public private(set) var problem: Problem?

    public init(_ bytes: [UInt8]) {
        // Skip a UTF-8 byte order mark, which spreadsheet exports like to add.
        self.bytes = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
    }

    public init(_ text: String) { self.init(Array(text.utf8)) }

    /// The next record; blank lines are skipped.
    public mutating func next() -> Record? {
        while let record = readRecord() {
            if record.fields.count == 1 && record.fields[0].isEmpty { continue }
            return record
        }
        return nil
    }

    private mutating func readRecord() -> Record? {
        guard problem == nil, position < bytes.count else { return nil }
        let start = line
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var flaw: String?
        func take(_ bytes: [UInt8]) -> String {
            if flaw == nil, bytes.contains(0) { flaw = "contains a NUL byte" }
            if let s = String(validating: bytes, as: UTF8.self) { return s }
            if flaw == nil { flaw = "not valid UTF-8" }
            return String(decoding: bytes, as: UTF8.self)
        }
        while position < bytes.count {
            let b = bytes[position]
            position += 1
            if quoted {
                if b == UInt8(ascii: "\"") {
                    if position < bytes.count && bytes[position] == UInt8(ascii: "\"") {
                        field.append(b)
                        position += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if b == 10 { line += 1 }
                    field.append(b)
                }
                continue
            }
            switch b {
            case UInt8(ascii: "\"") where field.isEmpty:
                quoted = true
            case UInt8(ascii: ","):
                fields.append(take(field))
                field.removeAll(keepingCapacity: true)
            case 13 where position < bytes.count && bytes[position] == 10:
                continue
            case 10:
                line += 1
                fields.append(take(field))
                return Record(line: start, fields: fields, flaw: flaw)
            default:
                field.append(b)
            }
        }
        if quoted {
            problem = .unterminatedQuote(line: start)
            return nil
        }
        fields.append(take(field))
        return Record(line: start, fields: fields, flaw: flaw)
    }
}
