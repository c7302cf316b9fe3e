public import Foundation
import Synchronization

/// A token bucket per key (an API key, a connection, a remote address): `ratePerSecond`
/// sustained, `burst` at once. Callers over it get -32029 and lose nothing but that request.
public final class RateLimiter<Key: Hashable & Sendable>: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Double
    }

    private let rate: Double
    private let burst: Double
    private let buckets = Mutex<[Key: Bucket]>([:])

    public init(ratePerSecond: Double, burst: Double) {
        self.rate = ratePerSecond
        self.burst = max(1, burst)
    }

    /// Takes one token for `key`; false when the bucket is empty.
    public func allow(_ key: Key, now: Double = Date().timeIntervalSinceReferenceDate) -> Bool {
        buckets.withLock { buckets in
            var b = buckets[key] ?? Bucket(tokens: burst, updated: now)
            b.tokens = min(burst, b.tokens + (now - b.updated) * rate)
            b.updated = now
            let allowed = b.tokens >= 1
            if allowed { b.tokens -= 1 }
            buckets[key] = b
            if buckets.count > 100_000 { buckets = buckets.filter { now - $0.value.updated < 60 } }
            return allowed
        }
    }
}
