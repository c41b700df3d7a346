import TallyCore
import Testing
import TallyAdapters

/// The vendor poller's pacing with an injected clock (no sleeping): the
/// rules one by one, then whole runs against a vendor that counts arrivals
/// in a rolling window (``SlidingWindowRateLimiter/admit(at:)``), with new
/// transactions arriving at the peak rate and random latencies.
@Suite struct VendorRequestPacerTests {
    func pacer(idle: Int64 = 12_000, sent: [Int64] = []) -> VendorRequestPacer {
        VendorRequestPacer(limit: 5, windowMilliseconds: 60_000, marginMilliseconds: 100, idleMilliseconds: idle, sent: sent)
    }

    @Test func theSpacingSpreadsTheWholeBudgetEvenly() {
        #expect(pacer().spacingMilliseconds == 12_020)
        #expect(VendorRequestPacer(limit: 5, windowMilliseconds: 2_000, marginMilliseconds: 1, idleMilliseconds: 0).spacingMilliseconds == 401)
    }

    @Test func behindItSendsEverySpacingNeverInABurst() {
        var pacer = pacer()
        #expect(pacer.nextSend(at: 0, caughtUp: false) == 0)
        pacer.sent(at: 0)
        // A full page just came back: the next still waits the spacing.
        #expect(pacer.nextSend(at: 400, caughtUp: false) == 12_020)
        for instant in [12_020, 24_040, 36_060, 48_080] as [Int64] {
            #expect(pacer.nextSend(at: instant - 11_000, caughtUp: false) == instant)
            pacer.sent(at: instant)
        }
        // The sixth: 60,100 after the first, the window's own answer too.
        #expect(pacer.nextSend(at: 50_000, caughtUp: false) == 60_100)
        // Slots restored from a poller that did burst still hold: the
        // window decides while it is fuller than the spacing says.
        let bunched = self.pacer(sent: [0, 300, 600, 900, 1_200])
        #expect(bunched.nextSend(at: 13_500, caughtUp: false) == 60_100)
    }

    @Test func caughtUpItWaitsTheSpacingAfterTheLastSendNotAfterTheAnswer() {
        var pacer = pacer()
        pacer.sent(at: 0)
        // However late the answer came (5 s), the next slot counts from the send.
        #expect(pacer.nextSend(at: 5_000, caughtUp: true) == 12_020)
        #expect(pacer.nextSend(at: 13_000, caughtUp: true) == 13_000)
        #expect(self.pacer(idle: 30_000, sent: [0]).nextSend(at: 5_000, caughtUp: true) == 30_000)
        #expect(self.pacer(idle: 0, sent: [0]).nextSend(at: 5_000, caughtUp: true) == 12_020)
    }

    @Test func restoredSendInstantsAreHonoured() {
        // A poller restarted mid-window with five requests already sent.
        let restarted = pacer(sent: [40_000, 10_000, 20_000, 30_000, 50_000])
        #expect(restarted.sendInstants == [10_000, 20_000, 30_000, 40_000, 50_000])
        #expect(restarted.nextSend(at: 55_000, caughtUp: false) == 70_100)
        #expect(restarted.nextSend(at: 55_000, caughtUp: true) == 70_100)
    }

    @Test func aSendInstantOnlyEverMovesLater() {
        var pacer = pacer()
        pacer.sent(at: 1_000)
        pacer.resent(1_000, at: 900)
        #expect(pacer.sendInstants == [1_000])
        pacer.resent(1_000, at: 1_004)
        #expect(pacer.sendInstants == [1_004])
    }

    // MARK: - Whole runs

    enum Policy {
        /// ``VendorRequestPacer``: slots from the send, the spacing once caught up.
        case sendInstant
        /// The earlier poller: a pessimistic reservation replaced by the
        /// completion instant, and 12 s idle counted from the completion.
        case completionInstant
    }

    struct Run {
        var requests = 0
        var refused = 0
        var fetched = 0
        var created = 0
        var maxLagMilliseconds: Int64 = 0
        var maxPerWindow = 0
    }

    /// `minutes` of a vendor receiving `perMinute` new transactions, evenly,
    /// polled by a client under `policy`: one-way delays 5…(5 + `jitter`) ms,
    /// the vendor's work 50…`slowest` ms. Lag: from a transaction's creation
    /// to the answer that brings it to the poller, the most of any.
    func simulate(_ policy: Policy, minutes: Int64, perMinute: Int64, seed: UInt64, jitter: UInt64 = 80, slowest: UInt64 = 1_500) -> Run {
        var random = SplitMix64(seed: seed)
        var vendor = SlidingWindowRateLimiter(limit: 5, windowMilliseconds: 60_000)
        var pacer = self.pacer()
        var completions = SlidingWindowRateLimiter(limit: 5, windowMilliseconds: 60_100)
        var arrivals: [Int64] = []
        func created(by instant: Int64) -> Int { Int(instant * perMinute / 60_000) }
        func createdAt(_ k: Int) -> Int64 { (Int64(k) * 60_000 + perMinute - 1) / perMinute }
        let end = minutes * 60_000
        var run = Run()
        var now: Int64 = 0
        var caughtUp = false
        var notBefore: Int64 = 0
        while now < end {
            let send: Int64
            switch policy {
            case .sendInstant:
                send = max(notBefore, pacer.nextSend(at: now, caughtUp: caughtUp))
                pacer.sent(at: send)
            case .completionInstant:
                send = max(notBefore, completions.nextAllowed(at: now))
                completions.record(send + 35_000)
            }
            let arrival = send + 5 + Int64(random.next() % (jitter + 1))
            run.requests += 1
            arrivals.append(arrival)
            run.maxPerWindow = max(run.maxPerWindow, arrivals.filter { $0 > arrival - 60_000 }.count)
            let completion: Int64
            if case .rejected(let wait) = vendor.admit(at: arrival) {
                run.refused += 1
                completion = arrival + 5
                notBefore = completion + wait
            } else {
                let available = created(by: arrival)
                let oldest = run.fetched
                run.fetched += min(1_000, available - run.fetched)
                caughtUp = run.fetched == available
                completion = arrival + 50 + Int64(random.next() % (slowest - 49)) + 5 + Int64(random.next() % (jitter + 1))
                notBefore = 0
                if policy == .completionInstant, caughtUp { notBefore = completion + 12_000 }
                if run.fetched > oldest {
                    // The page's oldest transaction reaches the poller now.
                    run.maxLagMilliseconds = max(run.maxLagMilliseconds, completion - createdAt(oldest))
                }
            }
            if case .completionInstant = policy { completions.replace(send + 35_000, with: completion) }
            now = completion
        }
        run.created = created(by: end)
        return run
    }

    /// 4,950 new transactions a minute for an hour: every request admitted,
    /// never more than 5 arrivals in any minute, the poller keeps up (what
    /// is left is less than one page) and no transaction waits longer than
    /// one spacing plus a request's time.
    @Test(arguments: [UInt64(1), 2, 3])
    func itKeepsUpWith4950AMinuteWithinTheLimit(seed: UInt64) {
        let run = simulate(.sendInstant, minutes: 60, perMinute: 4_950, seed: seed)
        #expect(run.refused == 0)
        #expect(run.maxPerWindow <= 5)
        #expect(run.created - run.fetched < 1_000, "\(run)")
        #expect(run.maxLagMilliseconds < 14_000, "\(run)")
        // One request per 12.02 s, not one per 12 s plus a latency.
        #expect(run.requests <= 60 * 60_000 / 12_020 + 5)
    }

    /// At exactly 5,000 a minute the ceiling is 5,000 × 60,000 / 60,100
    /// ≈ 4,991.7 a minute (the margin's price): a backlog grows by about
    /// 8 a minute, and the budget is used to the full.
    @Test func atThePeakItUsesTheWholeBudget() {
        let run = simulate(.sendInstant, minutes: 60, perMinute: 5_000, seed: 7)
        #expect(run.refused == 0)
        #expect(run.maxPerWindow <= 5)
        #expect(run.fetched >= 60 * 4_985, "\(run)")
        #expect(run.created - run.fetched < 1_600, "\(run)")
    }

    /// The earlier rule, counting each slot from the answer (and idling 12 s
    /// after it), with the same latencies: it falls behind by thousands.
    @Test func countingFromTheAnswerFallsBehind() {
        let old = simulate(.completionInstant, minutes: 60, perMinute: 5_000, seed: 7)
        let new = simulate(.sendInstant, minutes: 60, perMinute: 5_000, seed: 7)
        #expect(old.refused == 0)
        #expect(old.created - old.fetched > 3_000, "\(old)")
        #expect(new.fetched - old.fetched > 2_500, "old \(old), new \(new)")
    }

    /// One-way delays that differ by less than the margin never make the
    /// vendor count 6 in a window, whatever the vendor's work takes.
    @Test(arguments: [UInt64(11), 12, 13, 14])
    func delaysWithinTheMarginAreNeverRefused(seed: UInt64) {
        let run = simulate(.sendInstant, minutes: 30, perMinute: 20_000, seed: seed, jitter: 99, slowest: 11_000)
        #expect(run.refused == 0, "\(run)")
        #expect(run.maxPerWindow <= 5)
        #expect(run.requests >= 30 * 5 * 60_000 / 60_100 - 1)
    }
}
