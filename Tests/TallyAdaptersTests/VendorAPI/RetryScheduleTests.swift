import Testing
import TallyAdapters
import TallyCore

@Suite struct RetryScheduleTests {
    let schedule = RetrySchedule(backoff: BackoffPolicy(initialMilliseconds: 1_000, maximumMilliseconds: 60_000))

    @Test func doublesWithJitterBetweenHalfAndAll() {
        for (failures, full) in [(1, 1_000), (2, 2_000), (3, 4_000), (7, 60_000), (40, 60_000)] as [(Int, Int64)] {
            #expect(schedule.delayMilliseconds(afterFailures: failures, unitRandom: 0) == full / 2)
            let high = schedule.delayMilliseconds(afterFailures: failures, unitRandom: 0.999_999)
            #expect(high < full && high >= full - 1)
            let middle = schedule.delayMilliseconds(afterFailures: failures, unitRandom: 0.5)
            #expect(middle == full / 2 + full / 4)
        }
    }

    @Test func retryAfterIsAFloor() {
        #expect(schedule.delayMilliseconds(afterFailures: 1, retryAfterMilliseconds: 7_000, unitRandom: 0.5) == 7_000)
        #expect(schedule.delayMilliseconds(afterFailures: 5, retryAfterMilliseconds: 1_000, unitRandom: 0) == 8_000)
    }

    @Test func readsDeltaSecondsOnly() {
        #expect(RetrySchedule.retryAfterMilliseconds("3") == 3_000)
        #expect(RetrySchedule.retryAfterMilliseconds(" 12 ") == 12_000)
        #expect(RetrySchedule.retryAfterMilliseconds("1.5") == 1_500)
        #expect(RetrySchedule.retryAfterMilliseconds("0.0001") == 1)
        #expect(RetrySchedule.retryAfterMilliseconds("0") == 0)
        #expect(RetrySchedule.retryAfterMilliseconds("999999999") == 86_400_000)
        for bad in [nil, "", "-1", "soon", "Wed, 21 Oct 2015 07:28:00 GMT", "1e3", ".", "1.x"] as [String?] {
            #expect(RetrySchedule.retryAfterMilliseconds(bad) == nil, "\(bad ?? "nil")")
        }
    }
}
