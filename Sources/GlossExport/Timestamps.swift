public import GlossCore

extension HLCTimestamp {
    /// The wall-clock part as RFC 3339 UTC with milliseconds, `2026-12-02T20:07:54.123Z`
    /// (the civil calendar computed here, so exports need no formatter and no time zone).
    public var iso8601: String {
        var bytes: [UInt8] = []
        appendISO8601(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// ``iso8601``'s 24 ASCII bytes (more for years past 9999), appended to `bytes` without making a string.
    public func appendISO8601(to bytes: inout [UInt8]) {
        let milliseconds = self.milliseconds
        let seconds = Int64(milliseconds / 1000)
        var days = seconds / 86_400
        let secondOfDay = seconds % 86_400
        // Days since 1970-01-01 to a civil date (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
        days += 719_468
        let era = days / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func digits(_ value: Int64, _ count: Int) {
            var divisor: Int64 = 1
            for _ in 1..<count { divisor *= 10 }
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        if year > 9999 { bytes.append(contentsOf: String(year / 10_000).utf8) }
        digits(year % 10_000, 4)
        bytes.append(UInt8(ascii: "-"))
        digits(month, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(day, 2)
        bytes.append(UInt8(ascii: "T"))
        digits(secondOfDay / 3600, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(secondOfDay / 60 % 60, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(secondOfDay % 60, 2)
        bytes.append(UInt8(ascii: "."))
        digits(Int64(milliseconds % 1000), 3)
        bytes.append(UInt8(ascii: "Z"))
    }
}
