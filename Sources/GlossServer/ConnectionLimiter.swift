import Crypto
import GlossProtocol
import Synchronization

/// Counts open connections, in total and per address, and refuses those over the limits.
final class ConnectionLimiter: Sendable {
    private let counts = Mutex<(total: Int, byAddress: [String: Int])>((0, [:]))
    private let maximumTotal: Int
    private let maximumPerAddress: Int

    init(maximumTotal: Int, maximumPerAddress: Int) {
        self.maximumTotal = maximumTotal
        self.maximumPerAddress = maximumPerAddress
    }

    /// Admits a connection from `address`, or says why not. An admitted connection must be released.
    func admit(_ address: String) -> ProtocolError? {
        counts.withLock { counts in
            if counts.total >= maximumTotal {
                return ProtocolError(.tooManyConnections, "the server holds \(maximumTotal) connections, its limit; try again later")
            }
            if counts.byAddress[address, default: 0] >= maximumPerAddress {
                return ProtocolError(.tooManyConnections, "\(maximumPerAddress) connections from \(address) already, the per-address limit")
            }
            counts.total += 1
            counts.byAddress[address, default: 0] += 1
            return nil
        }
    }

    /// Releases an admitted connection.
    func release(_ address: String) {
        counts.withLock { counts in
            counts.total -= 1
            let left = counts.byAddress[address, default: 1] - 1
            counts.byAddress[address] = left > 0 ? left : nil
        }
    }

    /// Connections open now.
    var open: Int { counts.withLock { $0.total } }
}

/// Remembers failed authentications per address over the last minute and
/// throttles an address that fails too often.
///
/// A token that authenticated recently (within an hour, on this server) is not
/// held back by its address's throttle: analysts behind one NAT address keep
/// working while someone there mistypes or guesses tokens (guesses never match
/// a recent token; the database still checks the token every time, so a revoked
/// one still fails).
final class AuthenticationThrottle: Sendable {
    private let failures = Mutex<[String: [ContinuousClock.Instant]]>([:])
    private let recentTokens = Mutex<[[UInt8]: ContinuousClock.Instant]>([:])
    private let maximumPerMinute: Int
    /// Most recent tokens remembered; past it the oldest half is forgotten.
    static let recentTokenLimit = 100_000

    init(maximumPerMinute: Int) {
        self.maximumPerMinute = maximumPerMinute
    }

    /// Seconds `address` must wait before trying again, or `nil` when it may try now.
    func retryAfter(_ address: String, now: ContinuousClock.Instant = .now) -> Int? {
        failures.withLock { failures in
            let recent = (failures[address] ?? []).filter { now - $0 < .seconds(60) }
            failures[address] = recent.isEmpty ? nil : recent
            guard recent.count >= maximumPerMinute, let oldest = recent.first else { return nil }
            return max(1, Int((oldest + .seconds(60) - now).components.seconds) + 1)
        }
    }

    /// Whether `token` authenticated on this server within the last hour.
    func isRecent(_ token: String, now: ContinuousClock.Instant = .now) -> Bool {
        let hash = Array(SHA256.hash(data: Array(token.utf8)))
        return recentTokens.withLock { recent in recent[hash].map { now - $0 < .seconds(3_600) } ?? false }
    }

    /// Remembers a token that authenticated.
    func recordSuccess(_ token: String, now: ContinuousClock.Instant = .now) {
        let hash = Array(SHA256.hash(data: Array(token.utf8)))
        recentTokens.withLock { recent in
            if recent.count >= Self.recentTokenLimit {
                let cutoff = recent.values.sorted()[recent.count / 2]
                recent = recent.filter { $0.value > cutoff }
            }
            recent[hash] = now
        }
    }

    /// Records a failed authentication from `address`.
    func recordFailure(_ address: String, now: ContinuousClock.Instant = .now) {
        failures.withLock { failures in
            var recent = (failures[address] ?? []).filter { now - $0 < .seconds(60) }
            recent.append(now)
            failures[address] = recent
            if failures.count > 100_000 { failures = failures.filter { !$0.value.isEmpty } }
        }
    }
}
