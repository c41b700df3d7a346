import TallyCore
import Testing
import TallyAdapters

@Suite struct SlidingWindowRateLimiterTests {
    @Test func allowsTheLimitAtOnceThenWaitsForTheOldestToLeave() {
        var limiter = SlidingWindowRateLimiter(limit: 5, windowMilliseconds: 60_000)
        for instant in [0, 1_000, 2_000, 3_000, 4_000] as [Int64] {
            #expect(limiter.nextAllowed(at: instant) == instant)
            limiter.record(instant)
        }
        #expect(limiter.nextAllowed(at: 4_000) == 60_000)
        #expect(limiter.nextAllowed(at: 59_999) == 60_000)
        #expect(limiter.nextAllowed(at: 70_000) == 70_000)
        limiter.record(60_000)
        #expect(limiter.nextAllowed(at: 60_000) == 61_000)
    }

    @Test func keepsOnlyTheLastLimitInstantsSorted() {
        let limiter = SlidingWindowRateLimiter(limit: 3, windowMilliseconds: 100, instants: [50, 10, 40, 20, 30])
        #expect(limiter.instants == [30, 40, 50])
        #expect(limiter.nextAllowed(at: 55) == 130)
    }

    @Test func aReservationIsReplacedByTheRealInstant() {
        var limiter = SlidingWindowRateLimiter(limit: 2, windowMilliseconds: 1_000)
        limiter.record(0)
        limiter.record(30_000)  // pessimistic: send + timeout
        #expect(limiter.nextAllowed(at: 10) == 1_000)
        limiter.replace(30_000, with: 120)
        #expect(limiter.instants == [0, 120])
        #expect(limiter.nextAllowed(at: 10) == 1_000)
        limiter.record(1_000)
        #expect(limiter.nextAllowed(at: 1_000) == 1_120)
    }

    @Test func serverAdmitsUpToTheLimitAndSaysHowLongToWait() {
        var server = SlidingWindowRateLimiter(limit: 2, windowMilliseconds: 1_000)
        #expect(server.admit(at: 0) == .admitted)
        #expect(server.admit(at: 400) == .admitted)
        #expect(server.admit(at: 999) == .rejected(retryAfterMilliseconds: 1))
        #expect(server.admit(at: 1_000) == .admitted)
        #expect(server.admit(at: 1_001) == .rejected(retryAfterMilliseconds: 399))
        #expect(server.inWindow(at: 1_001) == 2)
    }

    /// A client pacing itself with the limiter and recording completion
    /// instants never has a request refused by a server counting arrivals,
    /// whatever the latencies, and uses the budget fully over time.
    @Test(arguments: [UInt64(1), 2, 3, 4, 5])
    func aPacedClientNeverExceedsTheServersCount(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var client = SlidingWindowRateLimiter(limit: 5, windowMilliseconds: 2_000)
        var server = SlidingWindowRateLimiter(limit: 5, windowMilliseconds: 2_000)
        var now: Int64 = 1_700_000_000_000
        let start = now
        var requests = 0
        while now - start < 600_000 {
            now = client.nextAllowed(at: now)
            let reserved = now + 5_000
            client.record(reserved)
            let arrival = now + Int64(random.next() % 300)
            #expect(server.admit(at: arrival) == .admitted, "request \(requests) arriving at \(arrival - start) was refused")
            let completion = arrival + Int64(random.next() % 300)
            client.replace(reserved, with: completion)
            now = completion
            requests += 1
        }
        // 600 s at 5 per 2 s is at most 1,505; the latencies cost some, but
        // most of the budget is used.
        #expect(requests <= 1_505)
        #expect(requests > 1_000)
    }

    @Test func recordingTheSendInstantWithoutAMarginCanBeRefused() {
        // Why the send instant needs a margin (VendorRequestPacer): sent at
        // 0 but arriving at 250, then the next window's request sent at
        // 2,000 arriving at 2,010 finds the server still counting the first.
        var client = SlidingWindowRateLimiter(limit: 1, windowMilliseconds: 2_000)
        var server = SlidingWindowRateLimiter(limit: 1, windowMilliseconds: 2_000)
        client.record(0)
        #expect(server.admit(at: 250) == .admitted)
        let next = client.nextAllowed(at: 0)
        #expect(server.admit(at: next + 10) != .admitted)
    }
}

