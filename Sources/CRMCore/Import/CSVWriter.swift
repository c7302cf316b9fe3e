/// Writes RFC 4180 CSV lines: a field is quoted when it holds a comma, a quote, CR or LF (quotes
/// doubled); nil and empty are both an empty field.
public enum CSVWriter {
    public static func line(_ fields: [String?]) -> String {
        fields.map { field -> String in
            guard let field, !field.isEmpty else { return "" }
            guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
            return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }.joined(separator: ",") + "\n"
    }
}
