/// Reads Prometheus' text exposition format (what `/metrics` serves), strictly enough to catch a
/// malformed line: `name{label="value",...} number` or `name number`, comments starting with #.
enum PrometheusText {
    struct Sample: Equatable {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    struct Malformed: Error, CustomStringConvertible {
        let line: String
        var description: String { "not a Prometheus sample: \(line)" }
    }

    static func samples(_ text: String) throws -> [Sample] {
        try text.split(separator: "\n").compactMap { raw -> Sample? in
            let line = String(raw)
            if line.hasPrefix("#") || line.isEmpty { return nil }
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { throw Malformed(line: line) }
            let series = line[..<space]
            guard let brace = series.firstIndex(of: "{") else {
                guard series.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }) else { throw Malformed(line: line) }
                return Sample(name: String(series), labels: [:], value: value)
            }
            guard series.hasSuffix("}") else { throw Malformed(line: line) }
            var labels: [String: String] = [:]
            let inner = series[series.index(after: brace)..<series.index(before: series.endIndex)]
            for pair in inner.split(separator: ",") where !pair.isEmpty {
                let kv = pair.split(separator: "=", maxSplits: 1)
                guard kv.count == 2, kv[1].hasPrefix("\""), kv[1].hasSuffix("\"") else { throw Malformed(line: line) }
                labels[String(kv[0])] = String(kv[1].dropFirst().dropLast())
            }
            return Sample(name: String(series[..<brace]), labels: labels, value: value)
        }
    }

    /// The sum of the samples of `name` whose labels include `labels`.
    static func value(of name: String, labels: [String: String] = [:], in text: String) -> Double? {
        guard let all = try? samples(text) else { return nil }
        let matching = all.filter { s in s.name == name && labels.allSatisfy { s.labels[$0.key] == $0.value } }
        return matching.isEmpty ? nil : matching.reduce(0) { $0 + $1.value }
    }
}
