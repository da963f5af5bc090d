import Foundation

/// A field of /proc/PID/status (such as `VmRSS` or `VmHWM`), in KiB; 0 when unknown.
public func memory(_ pid: Int32, _ field: String) -> Int {
    guard pid > 0, let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
    }
    return 0
}

/// Raises this process's open-file limit to its hard limit (benchmarks open many connections).
public func raiseFileLimit() {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}

/// Reads `--name value` pairs from `arguments` (after the program name and, when
/// `mode` is given, an optional leading word), handing each to `set`, which returns
/// `false` for a name it does not know. Stops the program on a malformed command line.
public func readOptions(_ arguments: [String], skipping first: Int = 1, _ set: (_ name: String, _ value: String) -> Bool) {
    var index = first
    while index < arguments.count {
        let name = arguments[index]
        guard index + 1 < arguments.count else { fatalError("\(name) needs a value") }
        guard set(name, arguments[index + 1]) else { fatalError("unknown argument \(name)") }
        index += 2
    }
}
