import Foundation

/// Fast, allocation-light conversion between `Date` and PostgreSQL's ISO timestamp text.
/// Connections run with `DateStyle=ISO` and `TimeZone=UTC`, but offsets are honoured anyway.
enum PQTimestamp {
    static func parse(_ text: Substring) -> Date? {
        let b = Array(text.utf8)
        var i = 0
        func number(_ digits: Int) -> Int? {
            guard i + digits <= b.count else { return nil }
            var v = 0
            for k in 0..<digits {
                let c = b[i + k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            i += digits
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count && b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2) else { return nil }
        var seconds = Double(daysFromCivil(year, month, day) * 86_400)
        guard i < b.count else { return Date(timeIntervalSince1970: seconds) }
        guard b[i] == 32 || b[i] == 84 else { return nil }  // ' ' or 'T'
        i += 1
        guard let h = number(2), expect(58), let m = number(2), expect(58), let s = number(2) else { return nil }
        seconds += Double(h * 3600 + m * 60 + s)
        if i < b.count && b[i] == 46 {  // fraction
            i += 1
            var scale = 0.1
            while i < b.count, b[i] >= 48 && b[i] <= 57 {
                seconds += Double(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        if i < b.count {
            if b[i] == 90 { i += 1 }  // 'Z'
            else {
                let sign: Double = b[i] == 45 ? -1 : 1
                guard b[i] == 43 || b[i] == 45 else { return nil }
                i += 1
                guard let oh = number(2) else { return nil }
                var offset = oh * 3600
                if expect(58), let om = number(2) { offset += om * 60 }
                if expect(58), let os = number(2) { offset += os }
                seconds -= sign * Double(offset)
            }
        }
        guard i == b.count else { return nil }
        return Date(timeIntervalSince1970: seconds)
    }

    /// RFC 3339, UTC, microsecond precision: "2026-11-22T10:53:28.123456Z".
    static func format(_ date: Date) -> String {
        let total = date.timeIntervalSince1970
        var whole = total.rounded(.down)
        var micros = Int(((total - whole) * 1_000_000).rounded())
        if micros == 1_000_000 { whole += 1; micros = 0 }
        let secs = Int(whole)
        let days = secs >= 0 ? secs / 86_400 : (secs - 86_399) / 86_400
        let rem = secs - days * 86_400
        let (y, mo, d) = civilFromDays(days)
        func pad(_ v: Int, _ n: Int) -> String {
            let s = String(v)
            return s.count >= n ? s : String(repeating: "0", count: n - s.count) + s
        }
        var out = "\(pad(y, 4))-\(pad(mo, 2))-\(pad(d, 2))T\(pad(rem / 3600, 2)):\(pad(rem / 60 % 60, 2)):\(pad(rem % 60, 2))"
        if micros != 0 { out += "." + pad(micros, 6) }
        return out + "Z"
    }

    // Howard Hinnant's civil-date algorithms.
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
