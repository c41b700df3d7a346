import Testing
@testable import TallyCore

/// A tracker after `count` publishes.
private func trackerAfter(publishes count: Int) -> ConfirmTracker {
    var tracker = ConfirmTracker()
    for _ in 0..<count { tracker.published() }
    return tracker
}

@Suite("ConfirmTracker")
struct ConfirmTrackerTests {
    @Test func newTrackerIsSettled() {
        let tracker = ConfirmTracker()
        #expect(tracker.isSettled)
        #expect(tracker.allConfirmed)
        #expect(tracker.outstanding.isEmpty)
        #expect(tracker.nacked.isEmpty)
        #expect(tracker.nextSequence == 1)
    }

    @Test func publishesAreNumberedFromOne() {
        var tracker = ConfirmTracker()
        var numbers: [UInt64] = []
        for _ in 0..<5 { numbers.append(tracker.published()) }
        #expect(numbers == [1, 2, 3, 4, 5])
        #expect(tracker.outstanding == [1, 2, 3, 4, 5])
        #expect(tracker.nextSequence == 6)
        #expect(!tracker.isSettled)
        #expect(!tracker.allConfirmed)
    }

    @Test func singleAck() {
        var tracker = trackerAfter(publishes: 3)
        tracker.received(.ack, deliveryTag: 2, multiple: false)
        #expect(tracker.outstanding == [1, 3])
        #expect(tracker.nacked.isEmpty)
        #expect(!tracker.isSettled)
        tracker.received(.ack, deliveryTag: 1, multiple: false)
        tracker.received(.ack, deliveryTag: 3, multiple: false)
        #expect(tracker.isSettled)
        #expect(tracker.allConfirmed)
    }

    @Test func singleNack() {
        var tracker = trackerAfter(publishes: 3)
        tracker.received(.nack, deliveryTag: 2, multiple: false)
        #expect(tracker.outstanding == [1, 3])
        #expect(tracker.nacked == [2])
        tracker.received(.ack, deliveryTag: 1, multiple: false)
        tracker.received(.ack, deliveryTag: 3, multiple: false)
        #expect(tracker.isSettled)
        #expect(!tracker.allConfirmed)
        #expect(tracker.nacked == [2])
    }

    @Test func multipleAckCoversAPrefix() {
        var tracker = trackerAfter(publishes: 5)
        tracker.received(.ack, deliveryTag: 3, multiple: true)
        #expect(tracker.outstanding == [4, 5])
        #expect(tracker.nacked.isEmpty)
        tracker.received(.ack, deliveryTag: 5, multiple: true)
        #expect(tracker.isSettled)
        #expect(tracker.allConfirmed)
    }

    @Test func multipleAckSkipsWhatWasAlreadyAnswered() {
        var tracker = trackerAfter(publishes: 5)
        tracker.received(.ack, deliveryTag: 2, multiple: false)
        tracker.received(.nack, deliveryTag: 4, multiple: false)
        tracker.received(.ack, deliveryTag: 4, multiple: true)
        #expect(tracker.outstanding == [5])
        #expect(tracker.nacked == [4])
    }

    @Test func multipleNackMarksEveryOutstandingOneUpToTheTag() {
        var tracker = trackerAfter(publishes: 5)
        tracker.received(.ack, deliveryTag: 2, multiple: false)
        tracker.received(.nack, deliveryTag: 4, multiple: true)
        #expect(tracker.nacked == [1, 3, 4])
        #expect(tracker.outstanding == [5])
        tracker.received(.ack, deliveryTag: 5, multiple: false)
        #expect(tracker.isSettled)
        #expect(!tracker.allConfirmed)
    }

    @Test func multipleAckBeyondTheLastPublishSettlesAll() {
        var tracker = trackerAfter(publishes: 3)
        tracker.received(.ack, deliveryTag: 100, multiple: true)
        #expect(tracker.isSettled)
        #expect(tracker.allConfirmed)
    }

    @Test func multipleAckBelowTheFirstOutstandingDoesNothing() {
        var tracker = trackerAfter(publishes: 3)
        tracker.received(.ack, deliveryTag: 1, multiple: false)
        tracker.received(.ack, deliveryTag: 1, multiple: true)
        tracker.received(.nack, deliveryTag: 0, multiple: true)
        #expect(tracker.outstanding == [2, 3])
        #expect(tracker.nacked.isEmpty)
    }

    @Test(arguments: [[3, 1, 2], [2, 3, 1], [3, 2, 1], [1, 3, 2]] as [[UInt64]])
    func outOfOrderSingleAcks(_ order: [UInt64]) {
        var tracker = trackerAfter(publishes: 3)
        var remaining: [UInt64] = [1, 2, 3]
        for tag in order {
            tracker.received(.ack, deliveryTag: tag, multiple: false)
            remaining.removeAll { $0 == tag }
            #expect(tracker.outstanding == remaining)
        }
        #expect(tracker.isSettled)
        #expect(tracker.allConfirmed)
    }

    @Test func duplicateAndUnknownAcksAreIgnored() {
        var tracker = trackerAfter(publishes: 3)
        tracker.received(.ack, deliveryTag: 2, multiple: false)
        let afterFirst = tracker
        tracker.received(.ack, deliveryTag: 2, multiple: false)   // duplicate
        tracker.received(.nack, deliveryTag: 2, multiple: false)  // late nack for an acked one
        tracker.received(.ack, deliveryTag: 99, multiple: false)  // never published
        tracker.received(.nack, deliveryTag: 0, multiple: false)  // never published
        #expect(tracker == afterFirst)
        #expect(tracker.outstanding == [1, 3])
        #expect(tracker.nacked.isEmpty)
    }

    @Test func ackAfterNackDoesNotUndoIt() {
        var tracker = trackerAfter(publishes: 2)
        tracker.received(.nack, deliveryTag: 1, multiple: false)
        tracker.received(.ack, deliveryTag: 1, multiple: false)
        tracker.received(.ack, deliveryTag: 2, multiple: true)
        #expect(tracker.nacked == [1])
        #expect(tracker.isSettled)
        #expect(!tracker.allConfirmed)
    }

    @Test func clearNacksStartsANewBatchWithContinuingSequence() {
        var tracker = trackerAfter(publishes: 3)
        tracker.received(.nack, deliveryTag: 3, multiple: true)
        #expect(tracker.isSettled)
        #expect(!tracker.allConfirmed)
        tracker.clearNacks()
        #expect(tracker.nacked.isEmpty)
        #expect(tracker.allConfirmed)
        #expect(tracker.published() == 4)
        #expect(tracker.published() == 5)
        #expect(tracker.outstanding == [4, 5])
        tracker.received(.ack, deliveryTag: 5, multiple: true)
        #expect(tracker.allConfirmed)
    }

    @Test func clearNacksKeepsOutstanding() {
        var tracker = trackerAfter(publishes: 3)
        tracker.received(.nack, deliveryTag: 1, multiple: false)
        tracker.clearNacks()
        #expect(tracker.outstanding == [2, 3])
        #expect(!tracker.isSettled)
        #expect(!tracker.allConfirmed)
    }

    @Test func manyPublishesAndOneMultipleAck() {
        var tracker = ConfirmTracker()
        for expected in UInt64(1)...1_000 { #expect(tracker.published() == expected) }
        tracker.received(.ack, deliveryTag: 999, multiple: true)
        #expect(tracker.outstanding == [1_000])
        tracker.received(.nack, deliveryTag: 1_000, multiple: false)
        #expect(tracker.isSettled)
        #expect(tracker.nacked == [1_000])
    }
}
