import Testing
@testable import TallyCore

private func outputs(_ id: String, alert: Bool) -> RecordOutputs {
    RecordOutputs(
        recordId: id, destinationId: "dest-\(id)", notification: #"{"record":{"recordId":"\#(id)"}}"#,
        alert: alert ? #"{"threshold":"\#(id)"}"# : nil)
}

private let badJSON = Rejection(.malformedJSON, detail: "unexpected end of input at byte 3")
private let conflict = Rejection(.conflict, field: .recordId, detail: "was processed before with a different body")

@Suite("BatchLedger")
struct BatchLedgerTests {
    @Test func emptyLedger() {
        let ledger = BatchLedger()
        #expect(ledger.isEmpty)
        #expect(ledger.count == 0)
        #expect(ledger.messagesToPublish.isEmpty)
        #expect(ledger.confirmedOutputs.isEmpty)
        #expect(ledger.ackTag == nil)
    }

    @Test func mixedBatch() {
        let a = outputs("a", alert: true)
        let b = outputs("b", alert: false)
        let c = outputs("c", alert: true)
        let garbage: [UInt8] = Array("{\"re".utf8)
        let conflicting: [UInt8] = Array(#"{"recordId":"a","value":"2"}"#.utf8)
        var ledger = BatchLedger()
        ledger.record(deliveryTag: 1, body: Array("a".utf8), outcome: .publish(a))
        ledger.record(deliveryTag: 2, body: garbage, outcome: .deadLetter(badJSON))
        ledger.record(deliveryTag: 3, body: Array("dup".utf8), outcome: .duplicate)
        ledger.record(deliveryTag: 6, body: Array("b".utf8), outcome: .publish(b))
        ledger.record(deliveryTag: 7, body: conflicting, outcome: .deadLetter(conflict))
        ledger.record(deliveryTag: 8, body: Array("c".utf8), outcome: .publish(c))
        ledger.record(deliveryTag: 10, body: Array("dup2".utf8), outcome: .duplicate)

        #expect(!ledger.isEmpty)
        #expect(ledger.count == 7)
        #expect(ledger.messagesToPublish == [
            .notification(a), .alert(a),
            .deadLetter(body: garbage, rejection: badJSON, replays: 0),
            .notification(b),
            .deadLetter(body: conflicting, rejection: conflict, replays: 0),
            .notification(c), .alert(c),
        ])
        #expect(ledger.confirmedOutputs == [a, b, c])
        #expect(ledger.ackTag == 10)
    }

    @Test func notificationComesBeforeItsAlert() {
        var ledger = BatchLedger()
        let a = outputs("a", alert: true)
        ledger.record(deliveryTag: 1, body: [], outcome: .publish(a))
        let messages = ledger.messagesToPublish
        #expect(messages.count == 2)
        guard messages.count == 2 else { return }
        if case .notification(let first) = messages[0] { #expect(first.notification == a.notification) } else {
            Issue.record("first message is not the notification")
        }
        if case .alert(let second) = messages[1] { #expect(second.alert == a.alert) } else {
            Issue.record("second message is not the alert")
        }
    }

    @Test func deadLetterCarriesTheOriginalBodyByteForByte() {
        let body: [UInt8] = [0x7B, 0xFF, 0x00, 0xC3, 0x28, 0x0A]
        var ledger = BatchLedger()
        ledger.record(deliveryTag: 42, body: body, outcome: .deadLetter(badJSON))
        #expect(ledger.messagesToPublish == [.deadLetter(body: body, rejection: badJSON, replays: 0)])
        #expect(ledger.confirmedOutputs.isEmpty)
        #expect(ledger.ackTag == 42)
    }

    @Test func duplicatesPublishNothing() {
        var ledger = BatchLedger()
        ledger.record(deliveryTag: 1, body: Array("x".utf8), outcome: .duplicate)
        ledger.record(deliveryTag: 3, body: Array("z".utf8), outcome: .duplicate)
        #expect(ledger.messagesToPublish.isEmpty)
        #expect(ledger.confirmedOutputs.isEmpty)
        #expect(ledger.ackTag == 3)
    }

    @Test func aRefusedNotificationTurnsEveryDeliveryOfItsRecordIntoADeadLetter() {
        let a = outputs("a", alert: true)
        let b = outputs("b", alert: false)
        let refused = Rejection(.publishRefused, detail: "the broker refused it (basic.nack)")
        var ledger = BatchLedger()
        ledger.record(deliveryTag: 1, body: Array("a1".utf8), outcome: .publish(a))
        ledger.record(deliveryTag: 2, body: Array("b".utf8), outcome: .publish(b))
        ledger.record(deliveryTag: 3, body: Array("a2".utf8), outcome: .publish(a), replays: 2)
        let letters = ledger.refuse(.alert(a), because: refused)
        #expect(letters == [
            .deadLetter(body: Array("a1".utf8), rejection: refused, replays: 0),
            .deadLetter(body: Array("a2".utf8), rejection: refused, replays: 2),
        ])
        #expect(ledger.confirmedOutputs == [b], "a's outcome is not forgotten: a replay publishes it")
        #expect(ledger.entries.map(\.outcome) == [.deadLetter(refused), .publish(b), .deadLetter(refused)])
        #expect(ledger.ackTag == 3)
    }

    @Test func aRefusedDeadLetterCannotBeIsolated() {
        var ledger = BatchLedger()
        ledger.record(deliveryTag: 1, body: [1], outcome: .deadLetter(badJSON))
        #expect(ledger.refuse(.deadLetter(body: [1], rejection: badJSON, replays: 0), because: badJSON) == nil)
    }

    @Test func resetEmptiesTheLedger() {
        var ledger = BatchLedger()
        ledger.record(deliveryTag: 7, body: [1], outcome: .publish(outputs("a", alert: true)))
        ledger.reset()
        #expect(ledger.isEmpty)
        #expect(ledger.messagesToPublish.isEmpty)
        #expect(ledger.ackTag == nil)
        // Tags keep increasing on the channel after a reset.
        ledger.record(deliveryTag: 8, body: [2], outcome: .duplicate)
        #expect(ledger.ackTag == 8)
        #expect(ledger.count == 1)
    }

    @Test func entriesKeepWhatWasRecorded() {
        var ledger = BatchLedger()
        ledger.record(deliveryTag: 3, body: [9, 8], outcome: .deadLetter(conflict))
        #expect(ledger.entries == [BatchLedger.Entry(deliveryTag: 3, body: [9, 8], outcome: .deadLetter(conflict), replays: 0)])
    }
}

@Suite("BatchLedger: replays")
struct BatchLedgerReplayTests {
    @Test func deadLetterCarriesTheReplayCountOfItsDelivery() {
        var ledger = BatchLedger()
        let rejection = Rejection(.malformedJSON, detail: "x")
        ledger.record(deliveryTag: 1, body: [0x7B], outcome: .deadLetter(rejection), replays: 2)
        #expect(ledger.messagesToPublish == [.deadLetter(body: [0x7B], rejection: rejection, replays: 2)])
    }
}

@Suite("BatchLedger: one publish per record")
struct BatchLedgerDeduplicationTests {
    /// A producer duplicate in the same batch finds the original's outcome
    /// pending: the record is still published (and forgotten) only once.
    @Test func aRecordPendingTwiceInABatchIsPublishedOnce() {
        let outputs = RecordOutputs(recordId: "r-1", destinationId: "d", notification: "{}", alert: "{\"a\":1}")
        let other = RecordOutputs(recordId: "r-2", destinationId: "d", notification: "{}", alert: nil)
        var ledger = BatchLedger()
        ledger.record(deliveryTag: 1, body: [1], outcome: .publish(outputs))
        ledger.record(deliveryTag: 2, body: [2], outcome: .publish(other))
        ledger.record(deliveryTag: 3, body: [1], outcome: .publish(outputs))
        #expect(ledger.messagesToPublish == [.notification(outputs), .alert(outputs), .notification(other)])
        #expect(ledger.confirmedOutputs == [outputs, other])
        #expect(ledger.ackTag == 3)
    }
}

@Suite("BatchLedger: ids compared by bytes")
struct BatchLedgerByteIdentityTests {
    /// Redis keys pending outcomes by the ids' bytes: two recordIds that
    /// Swift calls equal (canonically equivalent) are two records.
    @Test func canonicallyEquivalentRecordIdsAreDistinctRecords() {
        let precomposed = RecordOutputs(recordId: "caf\u{E9}", destinationId: "d", notification: "{}", alert: nil)
        let decomposed = RecordOutputs(recordId: "cafe\u{301}", destinationId: "d", notification: "{}", alert: nil)
        var ledger = BatchLedger()
        ledger.record(deliveryTag: 1, body: [1], outcome: .publish(precomposed))
        ledger.record(deliveryTag: 2, body: [2], outcome: .publish(decomposed))
        #expect(ledger.messagesToPublish.count == 2)
        #expect(ledger.confirmedOutputs.count == 2)
    }
}

@Suite("BatchLedger: tally")
struct BatchLedgerTallyTests {
    /// The worker's statistics and metrics read the tally, not the entries:
    /// it must follow every outcome, and a refusal that turns a published
    /// record (with its alert) into a dead letter.
    @Test func theTallyFollowsRecordsAndRefusals() {
        let withAlert = outputs("r-1", alert: true), plain = outputs("r-2", alert: false)
        var ledger = BatchLedger()
        ledger.record(deliveryTag: 1, body: [1], outcome: .publish(withAlert))
        ledger.record(deliveryTag: 2, body: [2], outcome: .publish(plain))
        ledger.record(deliveryTag: 3, body: [3], outcome: .duplicate)
        ledger.record(deliveryTag: 4, body: [4], outcome: .deadLetter(badJSON))
        ledger.record(deliveryTag: 5, body: [1], outcome: .publish(withAlert))  // a producer duplicate, pending too
        #expect(ledger.tally == BatchLedger.Tally(published: 3, alerts: 2, duplicates: 1, deadLetters: 1))

        let refusal = Rejection(.publishRefused, detail: "the broker refused it (basic.nack)")
        #expect(ledger.refuse(.alert(withAlert), because: refusal)?.count == 2)
        #expect(ledger.tally == BatchLedger.Tally(published: 1, alerts: 0, duplicates: 1, deadLetters: 3))

        ledger.reset()
        #expect(ledger.tally == BatchLedger.Tally())
    }
}
