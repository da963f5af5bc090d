/// Prints protocol lines in their canonical form, which ``LineParser`` reads back unchanged.
public enum LinePrinter {
    /// The line as sent, without the line feed.
    public static func print(_ line: Line) -> String {
        var text = line.tag + " " + line.word
        for argument in line.arguments { text += " " + print(argument) }
        return text
    }

    /// One argument: bare when that reads back the same, otherwise quoted with escapes.
    public static func print(_ argument: Argument) -> String {
        switch argument {
        case .positional(let value):
            return needsQuotes(value, positional: true) ? quote(value) : value
        case .named(let key, let value):
            return key + "=" + (needsQuotes(value, positional: false) ? quote(value) : value)
        }
    }

    static func needsQuotes(_ value: String, positional: Bool) -> Bool {
        if value.isEmpty { return true }
        if positional, value.unicodeScalars.first == "\"" { return true }
        // Scalars, not Characters: "=" followed by a combining mark is one Character but still ends a key.
        if positional, let equals = value.unicodeScalars.firstIndex(of: "="),
            LineParser.isKey(String(value.unicodeScalars[..<equals]))
        {
            return true
        }
        return value.unicodeScalars.contains { $0 == " " || $0 == "\t" || $0 == "\"" || $0 == "\\" || $0.isControl }
    }

    static func quote(_ value: String) -> String {
        var text = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            default:
                if scalar.isControl {
                    text += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        return text + "\""
    }
}
