import Testing
@testable import TallyAggregator

@Suite struct LogTrimPolicyTests {
    private let day: UInt64 = 86_400_000

    @Test func neverPastAnyGroupsFirstNeededEntry() {
        let groups = [
            LogTrimPolicy.GroupPosition(name: "a", lastDelivered: StreamID(milliseconds: 500, sequence: 3), oldestPending: nil),
            LogTrimPolicy.GroupPosition(
                name: "b", lastDelivered: StreamID(milliseconds: 900, sequence: 0),
                oldestPending: StreamID(milliseconds: 400, sequence: 1)),
        ]
        #expect(LogTrimPolicy.minimumID(groups: groups, nowMilliseconds: 10 * day, retentionMilliseconds: 0)
            == StreamID(milliseconds: 400, sequence: 1))
        #expect(LogTrimPolicy.minimumID(groups: [groups[0]], nowMilliseconds: 10 * day, retentionMilliseconds: 0)
            == StreamID(milliseconds: 500, sequence: 4))
    }

    @Test func neverInsideTheRetentionWindow() {
        let group = LogTrimPolicy.GroupPosition(name: "a", lastDelivered: StreamID(milliseconds: 9 * day, sequence: 0), oldestPending: nil)
        #expect(LogTrimPolicy.minimumID(groups: [group], nowMilliseconds: 10 * day, retentionMilliseconds: 7 * day)
            == StreamID(milliseconds: 3 * day, sequence: 0))
        #expect(LogTrimPolicy.minimumID(groups: [group], nowMilliseconds: 10 * day, retentionMilliseconds: 20 * day) == nil)
    }

    @Test func aGroupThatReadNothingHoldsEverything() {
        let fresh = LogTrimPolicy.GroupPosition(name: "new", lastDelivered: .zero, oldestPending: nil)
        #expect(LogTrimPolicy.minimumID(groups: [fresh], nowMilliseconds: 10 * day, retentionMilliseconds: 0)
            == StreamID(milliseconds: 0, sequence: 1))
        #expect(LogTrimPolicy.minimumID(groups: [], nowMilliseconds: 10 * day, retentionMilliseconds: 0) == nil)
    }

    @Test func streamIDsOrderNumerically() {
        #expect(StreamID("9-0")! < StreamID("10-0")!)
        #expect(StreamID("10-2")! < StreamID("10-10")!)
        #expect(StreamID("5")! == StreamID(milliseconds: 5, sequence: 0))
        #expect(StreamID("x-1") == nil)
        #expect(StreamID("1-2-3") == nil)
        #expect(StreamID(milliseconds: 1, sequence: .max).successor == StreamID(milliseconds: 2, sequence: 0))
    }
}
