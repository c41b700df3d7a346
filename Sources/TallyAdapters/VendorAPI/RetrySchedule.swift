import TallyCore

/// How long the poller waits after a failed request: capped exponential
/// backoff (``BackoffPolicy``) with jitter, and never less than what the
/// vendor's `Retry-After` asked for. Pure: the random draw is a parameter.
///
/// Jitter is "equal jitter": half the exponential delay plus a random part of
/// the other half, so pollers that failed together (a vendor outage) do not
/// retry in lockstep, yet each still waits at least half its backoff.
public struct RetrySchedule: Sendable, Equatable {
    public var backoff: BackoffPolicy

    public init(backoff: BackoffPolicy) {
        self.backoff = backoff
    }

    /// The wait after `failures` failures in a row; `unitRandom` in [0, 1).
    public func delayMilliseconds(afterFailures failures: Int, retryAfterMilliseconds: Int64? = nil, unitRandom: Double) -> Int64 {
        let exponential = Int64(backoff.delayMilliseconds(afterFailures: failures))
        let half = exponential / 2
        let clamped = min(max(unitRandom, 0), 0.999_999)
        let jittered = half + Int64(Double(exponential - half) * clamped)
        return max(jittered, retryAfterMilliseconds ?? 0)
    }

    /// `Retry-After` in milliseconds: the delta-seconds form (RFC 9110 §10.2.3),
    /// whole or with a fraction, rounded up to the millisecond, at most a day.
    /// The HTTP-date form and anything unreadable give nil, and the backoff
    /// alone decides.
    public static func retryAfterMilliseconds(_ header: String?) -> Int64? {
        guard let header else { return nil }
        let text = String(header.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
        guard !text.isEmpty, text.utf8.count <= 16, let milliseconds = milliseconds(ofSeconds: text) else { return nil }
        return min(milliseconds, 86_400_000)
    }

    /// Whole milliseconds of a non-negative decimal seconds text, rounded up.
    static func milliseconds(ofSeconds text: String) -> Int64? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.contains(where: { !$0.isEmpty }) else { return nil }
        guard parts[0].allSatisfy({ $0.isASCII && $0.isNumber }), let whole = Int64(parts[0].isEmpty ? "0" : String(parts[0])),
            !(parts[0].isEmpty && parts.count == 1)
        else { return nil }
        var fraction: Int64 = 0
        var roundUp = false
        if parts.count == 2 {
            let digits = Array(parts[1])
            guard digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
            for index in 0..<3 { fraction = fraction * 10 + (index < digits.count ? Int64(String(digits[index]))! : 0) }
            roundUp = digits.dropFirst(3).contains { $0 != "0" }
        }
        return whole * 1_000 + fraction + (roundUp ? 1 : 0)
    }
}
