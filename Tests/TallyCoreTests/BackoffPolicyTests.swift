import Testing
@testable import TallyCore

/// The expected delay by repeated doubling with saturation at `maximum`,
/// independent of the shift-and-multiply in `BackoffPolicy`.
private func expectedDelay(initial: Int, maximum: Int, failures: Int) -> Int {
    guard failures > 0 else { return 0 }
    var delay = min(initial, maximum)
    var step = 1
    while step < failures, delay < maximum {
        delay = delay > maximum / 2 ? maximum : min(delay * 2, maximum)
        step += 1
    }
    return delay
}

@Suite("BackoffPolicy")
struct BackoffPolicyTests {
    @Test func defaults() {
        let policy = BackoffPolicy()
        #expect(policy.initialMilliseconds == 100)
        #expect(policy.maximumMilliseconds == 5_000)
    }

    @Test(arguments: [0, -1, -100, Int.min])
    func noFailuresNoWait(_ failures: Int) {
        #expect(BackoffPolicy().delayMilliseconds(afterFailures: failures) == 0)
        #expect(BackoffPolicy(initialMilliseconds: 7, maximumMilliseconds: 9).delayMilliseconds(afterFailures: failures) == 0)
    }

    @Test func doublesFromInitialThenCaps() {
        let policy = BackoffPolicy()
        let delays = (1...9).map { policy.delayMilliseconds(afterFailures: $0) }
        #expect(delays == [100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000, 5_000])
    }

    @Test(arguments: [(100, 5_000), (1, 1_000_000), (250, 60_000), (3, 3), (10, 5), (0, 1_000), (1_000, 1_024_000)])
    func matchesRepeatedDoubling(_ initial: Int, _ maximum: Int) {
        let policy = BackoffPolicy(initialMilliseconds: initial, maximumMilliseconds: maximum)
        for failures in 0...200 {
            #expect(
                policy.delayMilliseconds(afterFailures: failures)
                    == expectedDelay(initial: initial, maximum: maximum, failures: failures),
                "initial \(initial), maximum \(maximum), failures \(failures)")
        }
    }

    @Test func neverAboveTheMaximumAndNeverDecreasing() {
        let policy = BackoffPolicy(initialMilliseconds: 37, maximumMilliseconds: 12_345)
        var previous = 0
        for failures in 0...1_000 {
            let delay = policy.delayMilliseconds(afterFailures: failures)
            #expect(delay <= 12_345)
            #expect(delay >= previous)
            previous = delay
        }
        #expect(previous == 12_345)
    }

    @Test(arguments: [64, 65, 1_000, 1_000_000, Int.max / 2, Int.max - 1, Int.max])
    func hugeFailureCountsDoNotOverflow(_ failures: Int) {
        #expect(BackoffPolicy().delayMilliseconds(afterFailures: failures) == 5_000)
        let wide = BackoffPolicy(initialMilliseconds: Int.max / 4, maximumMilliseconds: Int.max)
        #expect(wide.delayMilliseconds(afterFailures: failures) == Int.max)
    }

    @Test func largeInitialSaturatesInsteadOfWrapping() {
        let policy = BackoffPolicy(initialMilliseconds: Int.max / 3, maximumMilliseconds: Int.max - 5)
        #expect(policy.delayMilliseconds(afterFailures: 1) == Int.max / 3)
        #expect(policy.delayMilliseconds(afterFailures: 2) == (Int.max / 3) * 2)
        #expect(policy.delayMilliseconds(afterFailures: 3) == Int.max - 5)
        #expect(policy.delayMilliseconds(afterFailures: 40) == Int.max - 5)
    }
}
