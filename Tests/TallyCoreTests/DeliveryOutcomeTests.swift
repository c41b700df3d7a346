import Testing
@testable import TallyCore

private func makeRecord(value: String = "12.50") throws -> Record {
    let time = "2026-03-01T12:00:00Z"
    return try Record(
        recordId: "r-1", time: RFC3339Timestamp.parse(time), timeText: time, sourceId: "billing",
        destinationId: "acct-42", type: .positive, value: ExactDecimal.parse(value), unit: "EUR", reference: "inv-7")
}

private let notificationText = #"{"record":{"recordId":"r-1"},"summary":{"previous":{"count":0,"totals":[]}}}"#
private let alertText = #"{"record":{"recordId":"r-1"},"threshold":"10000"}"#

@Suite("DeliveryOutcome")
struct DeliveryOutcomeTests {
    @Test func appliedIsPublished() throws {
        let record = try makeRecord()
        let outcome = DeliveryOutcome(.applied(.rendered(notificationText + "\n" + alertText)), record: record)
        #expect(outcome == .publish(RecordOutputs(
            recordId: "r-1", destinationId: "acct-42", notification: notificationText, alert: alertText)))
    }

    /// Never confirmed: published again with the stored bytes, whether this
    /// is a redelivery, a producer duplicate or a replay.
    @Test func pendingIsPublishedAgain() throws {
        let outcome = DeliveryOutcome(.pending(.rendered(notificationText + "\n")), record: try makeRecord())
        #expect(outcome == .publish(RecordOutputs(
            recordId: "r-1", destinationId: "acct-42", notification: notificationText, alert: nil)))
    }

    @Test func confirmedDuplicatePublishesNothing() throws {
        #expect(DeliveryOutcome(.duplicate, record: try makeRecord()) == .duplicate)
    }

    @Test func conflictIsDeadLetteredOnTheRecordId() throws {
        let outcome = DeliveryOutcome(.conflict, record: try makeRecord())
        guard case .deadLetter(let rejection) = outcome else {
            Issue.record("expected a dead letter, got \(outcome)")
            return
        }
        #expect(rejection.reason == .conflict)
        #expect(rejection.reason.rawValue == "conflict")
        #expect(rejection.field == .recordId)
    }

    @Test func aFailedApplyIsDeadLetteredWithRedisMessage() throws {
        let outcome = DeliveryOutcome(.failed("WRONGTYPE Operation against a key holding the wrong kind of value"), record: try makeRecord())
        guard case .deadLetter(let rejection) = outcome else {
            Issue.record("expected a dead letter, got \(outcome)")
            return
        }
        #expect(rejection.reason == .applyFailed)
        #expect(rejection.detail.contains("WRONGTYPE"))
    }

    @Test func aRecordOutsideTheWindowIsDeadLetteredOnItsTime() throws {
        for side in ["old", "future"] {
            let outcome = DeliveryOutcome(.outsideWindow(side), record: try makeRecord())
            guard case .deadLetter(let rejection) = outcome else {
                Issue.record("expected a dead letter, got \(outcome)")
                continue
            }
            #expect(rejection.reason == .outsideDedupWindow)
            #expect(rejection.reason.rawValue == "outside-dedup-window")
            #expect(rejection.field == .time)
            #expect(rejection.detail.contains(side == "old" ? "older" : "future"))
        }
    }

    /// The whole path: composed outputs, stored joined, split back unchanged.
    @Test func composedOutputsSurviveTheStoredForm() throws {
        let record = try makeRecord(value: "10000.5")
        let notification = OutputComposer.notification(record, previous: Summary())
        let threshold = try #require(AlertPolicy().thresholdExceeded(by: record))
        let alert = OutputComposer.alert(canonicalJSON: record.canonicalJSON, threshold: threshold)
        let outcome = DeliveryOutcome(.applied(.rendered(notification + "\n" + alert)), record: record)
        guard case .publish(let outputs) = outcome else {
            Issue.record("expected publish, got \(outcome)")
            return
        }
        #expect(outputs.notification == notification)
        #expect(outputs.alert == alert)
        #expect(outputs.recordId == record.recordId)
        #expect(outputs.destinationId == record.destinationId)
    }
}

@Suite("RecordOutputs stored form")
struct RecordOutputsStoredFormTests {
    @Test func notificationAndAlert() {
        let outputs = RecordOutputs(recordId: "r", destinationId: "d", storedOutcome: "N{\"a\":1}\nA{\"b\":2}")
        #expect(outputs.notification == "N{\"a\":1}")
        #expect(outputs.alert == "A{\"b\":2}")
        #expect(outputs.recordId == "r")
        #expect(outputs.destinationId == "d")
    }

    @Test func trailingNewlineMeansNoAlert() {
        let outputs = RecordOutputs(recordId: "r", destinationId: "d", storedOutcome: notificationText + "\n")
        #expect(outputs.notification == notificationText)
        #expect(outputs.alert == nil)
    }

    @Test func noNewlineMeansNoAlert() {
        let outputs = RecordOutputs(recordId: "r", destinationId: "d", storedOutcome: notificationText)
        #expect(outputs.notification == notificationText)
        #expect(outputs.alert == nil)
    }

    /// Non-ASCII right around the separator is split on the byte, not mangled.
    @Test func splitKeepsMultiByteTextIntact() {
        let outputs = RecordOutputs(recordId: "r", destinationId: "d", storedOutcome: "{\"u\":\"€\"}\n\u{301}{\"v\":\"😀\"}")
        #expect(Array(outputs.notification.utf8) == Array("{\"u\":\"€\"}".utf8))
        #expect(outputs.alert.map { Array($0.utf8) } == Array("\u{301}{\"v\":\"😀\"}".utf8))
    }
}
