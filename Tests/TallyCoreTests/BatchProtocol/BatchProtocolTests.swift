import TallyCore
import Testing

/// A record's body as a producer publishes it.
private func body(_ id: String, value: String = "12.50", destination: String = "acct-1") -> [UInt8] {
    Array(
        #"{"recordId":"\#(id)","time":"2026-03-01T12:00:00Z","sourceId":"billing","destinationId":"\#(destination)","type":"positive","value":"\#(value)","unit":"EUR","reference":"inv-7"}"#
            .utf8)
}

/// The notifications among `messages`, by recordId, in publish order.
private func notifications(_ messages: [BatchLedger.Message]) -> [(id: String, bytes: String)] {
    messages.compactMap { if case .notification(let outputs) = $0 { (outputs.recordId, outputs.notification) } else { nil } }
}

private func alerts(_ messages: [BatchLedger.Message]) -> [String] {
    messages.compactMap { if case .alert(let outputs) = $0 { outputs.recordId } else { nil } }
}

@Suite("BatchProtocol: one batch, start to finish")
struct BatchProtocolFlowTests {
    @Test func aBatchIsAppliedPublishedConfirmedForgottenAndAcked() {
        var model = FunctionModel()
        var worker = SimulatedWorker(arriving: [[body("a"), body("b", value: "5000")]])
        #expect(worker.run(&model) == .idle)
        #expect(model.applications == ["a": 1, "b": 1])
        #expect(notifications(worker.published).map(\.id) == ["a", "b"])
        #expect(alerts(worker.published) == ["b"], "5000 is above the threshold of 1000")
        #expect(worker.acked.count == 2)
        #expect(worker.unacked.isEmpty)
        #expect(model.pending.isEmpty, "confirmed outcomes are forgotten")
        // The order of the effects, which is what makes a crash harmless.
        #expect(
            worker.performed.map(Self.name) == [
                "gather", "sendApply", "receiveApplied", "publish", "turnFinished",
                "gather", "awaitConfirms", "sendForget", "receiveForgotten", "settle", "turnFinished",
                "gather", "keepAlive",
            ])
    }

    @Test func theNextBatchIsAppliedWhileThePreviousOneIsConfirmed() {
        var model = FunctionModel()
        var worker = SimulatedWorker(arriving: [[body("a")], [body("b")]])
        #expect(worker.run(&model) == .idle)
        // Turn 2: B's apply is sent before A's confirms are awaited, and A is
        // acked before B is published.
        let names = worker.performed.map(Self.name)
        let turn2 = Array(names[5...])
        #expect(
            turn2.prefix(9) == [
                "gather", "sendApply", "awaitConfirms", "sendForget", "receiveApplied", "receiveForgotten", "settle",
                "publish", "turnFinished",
            ])
        #expect(worker.acked.count == 2)
    }

    @Test func badInputIsDeadLetteredWithItsReasonAndAcked() {
        var model = FunctionModel()
        let garbage = Array("{\"recordId\":".utf8)
        var worker = SimulatedWorker(arriving: [[body("a"), garbage]])
        #expect(worker.run(&model) == .idle)
        let deadLetters = worker.published.compactMap { message -> Rejection? in
            if case .deadLetter(let bytes, let rejection, _) = message, bytes == garbage { rejection } else { nil }
        }
        #expect(deadLetters.map(\.reason) == [.malformedJSON])
        #expect(worker.acked.count == 2, "the dead letter is acked once its publish is confirmed")
        #expect(model.applications == ["a": 1])
    }

    @Test func aProducerDuplicateInTheSameBatchIsPublishedOnce() {
        var model = FunctionModel()
        var worker = SimulatedWorker(arriving: [[body("a"), body("a")]])
        #expect(worker.run(&model) == .idle)
        #expect(notifications(worker.published).map(\.id) == ["a"])
        #expect(worker.acked.count == 2)
    }

    @Test func aConfirmedRecordSentAgainLaterPublishesNothing() {
        var model = FunctionModel()
        var first = SimulatedWorker(arriving: [[body("a")]])
        #expect(first.run(&model) == .idle)
        var later = SimulatedWorker(arriving: [[body("a")]])
        #expect(later.run(&model) == .idle)
        #expect(later.published.isEmpty)
        #expect(later.acked == [body("a")])
        #expect(model.applications == ["a": 1])
    }

    @Test func aConflictIsDeadLettered() {
        var model = FunctionModel()
        var first = SimulatedWorker(arriving: [[body("a", value: "1")]])
        #expect(first.run(&model) == .idle)
        var second = SimulatedWorker(arriving: [[body("a", value: "2")]])
        #expect(second.run(&model) == .idle)
        guard case .deadLetter(_, let rejection, _)? = second.published.first else {
            Issue.record("no dead letter: \(second.published)")
            return
        }
        #expect(rejection.reason == .conflict)
        #expect(model.applications == ["a": 1])
    }

    static func name(_ action: BatchProtocol.Action) -> String {
        switch action {
        case .gather: "gather"
        case .keepAlive: "keepAlive"
        case .sendApply: "sendApply"
        case .awaitConfirms: "awaitConfirms"
        case .sendForget: "sendForget"
        case .receiveApplied: "receiveApplied"
        case .receiveForgotten: "receiveForgotten"
        case .settle: "settle"
        case .publish: "publish"
        case .republish: "republish"
        case .turnFinished: "turnFinished"
        case .reconnect: "reconnect"
        case .stopped: "stopped"
        }
    }
}

/// The crash table of docs/architecture.md, row by row: a worker dies before an action,
/// the broker redelivers what it had not acked to the next worker, and in
/// every case each record's effect happens once and every notification that
/// goes out for a record carries the same bytes.
@Suite("BatchProtocol: the crash table")
struct BatchProtocolCrashTests {
    /// Where the first worker dies, and what the redelivery must publish.
    enum Row: String, CaseIterable, CustomTestStringConvertible {
        case receiveAndApply, applyAndPublish, publishAndConfirm, confirmAndForget, forgetAndAck

        /// True for the action the worker dies before.
        func isCrashPoint(_ action: BatchProtocol.Action) -> Bool {
            switch (self, action) {
            case (.receiveAndApply, .sendApply), (.applyAndPublish, .publish), (.publishAndConfirm, .awaitConfirms),
                (.confirmAndForget, .sendForget), (.forgetAndAck, .settle):
                true
            default: false
            }
        }

        /// Whether the redelivery publishes the records' notifications.
        var redeliveryPublishes: Bool { self != .forgetAndAck }

        var testDescription: String { rawValue }
    }

    @Test(arguments: Row.allCases)
    func eachRecordTakesEffectOnceWithOneIdentity(_ row: Row) {
        var model = FunctionModel()
        let batch = [body("a"), body("b", value: "2000"), Array("not json".utf8)]
        var first = SimulatedWorker(arriving: [batch])
        guard case .crashed = first.run(&model, crashBefore: row.isCrashPoint) else {
            Issue.record("the first worker never reached the crash point")
            return
        }
        #expect(first.acked.isEmpty, "nothing is acked before its outputs are confirmed")
        #expect(first.redelivered == batch)

        var second = SimulatedWorker(arriving: [first.redelivered])
        #expect(second.run(&model) == .idle)

        #expect(model.applications == ["a": 1, "b": 1], "exactly-once effect")
        #expect(model.pending.isEmpty, "every outcome confirmed and forgotten")
        #expect(second.acked == batch, "the redelivery is acked whole")
        let again = notifications(second.published)
        #expect(again.map(\.id) == (row.redeliveryPublishes ? ["a", "b"] : []))
        #expect(alerts(second.published) == (row.redeliveryPublishes ? ["b"] : []))
        // Whatever went out before the crash went out with the same bytes.
        let all = notifications(first.published) + again
        for id in ["a", "b"] {
            #expect(Set(all.filter { $0.id == id }.map(\.bytes)).count <= 1, "one identity for \(id)")
        }
        // The dead letter goes out again until one is confirmed: at least once.
        #expect(second.published.contains { if case .deadLetter = $0 { true } else { false } })
    }

    /// Redis applies batch N+1 before N's forget lands, so a producer
    /// duplicate of a record of N finds N's outcome still pending although
    /// its notification was just confirmed. It is a duplicate: publishing it
    /// again would send that notification twice.
    @Test func aPendingAnswerForARecordConfirmedInThePreviousBatchIsADuplicate() {
        var model = FunctionModel()
        var worker = SimulatedWorker(arriving: [[body("a")], [body("a"), body("b")]])
        #expect(worker.run(&model) == .idle)
        #expect(notifications(worker.published).map(\.id) == ["a", "b"], "a is published once")
        #expect(worker.acked.count == 3)
        #expect(model.applications == ["a": 1, "b": 1])
    }

    /// The same rule compares identifiers as bytes, as Redis keys them: a
    /// canonically equivalent recordId with other bytes is another record,
    /// and its pending outcome must still go out.
    @Test func theCrossBatchRuleComparesBytes() {
        let composed = "r-\u{E9}"  // é as one scalar
        let decomposed = "r-e\u{301}"  // e + combining acute: == in Swift, other bytes
        #expect(composed == decomposed)
        var model = FunctionModel()
        // A worker applied the decomposed one and died before publishing it.
        var crashed = SimulatedWorker(arriving: [[body(decomposed)]])
        _ = crashed.run(&model, crashBefore: { if case .publish = $0 { true } else { false } })
        // The next one confirms the composed one in batch N while the
        // decomposed one's redelivery finds its outcome pending in N+1.
        var worker = SimulatedWorker(arriving: [[body(composed)], crashed.redelivered])
        #expect(worker.run(&model) == .idle)
        #expect(
            notifications(worker.published).map { Array($0.id.utf8) } == [Array(composed.utf8), Array(decomposed.utf8)],
            "the decomposed record's notification is not taken for the composed one's")
        #expect(model.pending.isEmpty)
    }
}

/// A record fails alone: whatever refuses one record after validation — its
/// apply, the broker's confirm of one of its outputs, the client's encoder —
/// dead-letters that record with its reason, and every batchmate keeps its
/// effect, its one notification and its ack.
@Suite("BatchProtocol: one record fails alone")
struct BatchProtocolIsolationTests {
    private func deadLetters(_ messages: [BatchLedger.Message]) -> [(body: [UInt8], reason: Rejection.Reason)] {
        messages.compactMap { if case .deadLetter(let bytes, let rejection, _) = $0 { (bytes, rejection.reason) } else { nil } }
    }

    private func isNotification(of id: String) -> (BatchLedger.Message) -> Bool {
        { if case .notification(let outputs) = $0 { outputs.recordId == id } else { false } }
    }

    @Test func aRedisErrorForOneRecordDeadLettersItAloneAndAcksTheRest() {
        var model = FunctionModel()
        model.failing = ["b"]
        let batch = [body("a"), body("b"), body("c")]
        var worker = SimulatedWorker(arriving: [batch])
        #expect(worker.run(&model) == .idle)
        #expect(deadLetters(worker.published).map(\.body) == [body("b")])
        #expect(deadLetters(worker.published).map(\.reason) == [.applyFailed])
        #expect(worker.acked == batch, "the whole batch is acked: b through its dead letter")
        #expect(notifications(worker.published).map(\.id) == ["a", "c"])
        #expect(model.applications == ["a": 1, "c": 1])
    }

    @Test func aRefusedNotificationDeadLettersItsRecordAloneAndKeepsItsOutcomeForAReplay() {
        var model = FunctionModel()
        let batch = (0..<50).map { body("r\($0)") }
        var worker = SimulatedWorker(arriving: [batch])
        worker.refuses = isNotification(of: "r17")
        #expect(worker.run(&model) == .idle)
        let attempts = 1 + worker.machine.nackRetryDelaysMilliseconds.count
        #expect(worker.acked == batch)
        #expect(worker.refused.count == attempts, "refused at first and at every retry")
        #expect(deadLetters(worker.published).map(\.body) == [body("r17")])
        #expect(deadLetters(worker.published).map(\.reason) == [.publishRefused])
        let retries = worker.performed.compactMap { action -> Int? in
            if case .republish(let messages, _, let attempt) = action, messages.count == 1 { attempt } else { nil }
        }
        #expect(retries == Array(1..<attempts), "r17's output alone, published again once per delay")
        let delivered = notifications(worker.published).map(\.id)
        #expect(delivered.count == 49 + attempts, "49 batchmates once each, plus r17's refused attempts")
        #expect(Set(delivered.filter { $0 != "r17" }).count == 49)
        #expect(Set(notifications(worker.published).filter { $0.id == "r17" }.map(\.bytes)).count == 1, "every attempt the same bytes")
        #expect(model.pending == ["r17"], "r17's outcome is kept: a replay publishes the same bytes")
        #expect(model.applications.values.allSatisfy { $0 == 1 } && model.applications.count == 50)

        // The operator replays r17 once the cause is fixed: the stored bytes go out, nothing is applied again.
        let refusedBytes = notifications(worker.published).first { $0.id == "r17" }!.bytes
        var replay = SimulatedWorker(arriving: [[body("r17")]])
        #expect(replay.run(&model) == .idle)
        #expect(notifications(replay.published).map(\.bytes) == [refusedBytes])
        #expect(model.applications["r17"] == 1)
        #expect(model.pending.isEmpty)
    }

    /// A quorum queue between two leaders nacks for a moment: what the
    /// broker takes on a later attempt is no dead letter.
    @Test func aNackTheBrokerTakesBackOnARetryRefusesNothing() {
        var model = FunctionModel()
        let batch = (0..<20).map { body("r\($0)") }
        var worker = SimulatedWorker(arriving: [batch])
        let unavailable = Countdown(2)
        worker.refuses = { message in
            if case .notification(let outputs) = message, ["r3", "r11"].contains(outputs.recordId) { unavailable.take() } else { false }
        }
        #expect(worker.run(&model) == .idle)
        #expect(worker.acked == batch)
        #expect(deadLetters(worker.published).isEmpty)
        #expect(worker.refused.count == 2)
        let retries = worker.performed.compactMap { action -> [Int]? in
            if case .republish(let messages, let delay, let attempt) = action { [messages.count, delay, attempt] } else { nil }
        }
        let first = worker.machine.nackRetryDelaysMilliseconds[0]
        #expect(retries == [[2, first, 1]], "the two nacked outputs only, after the first delay")
        #expect(Set(notifications(worker.published).map(\.id)).count == 20)
        #expect(model.pending.isEmpty, "every outcome confirmed and forgotten")
    }

    /// A crash while a nacked output waits for its next attempt: nothing
    /// was acked, the redelivery publishes the stored bytes, nothing is
    /// applied twice.
    @Test func aCrashBetweenAttemptsRepublishesTheStoredBytesOnRedelivery() {
        var model = FunctionModel()
        var first = SimulatedWorker(arriving: [[body("a"), body("b")]])
        first.refuses = isNotification(of: "b")
        guard case .crashed = first.run(&model, crashBefore: { if case .republish = $0 { true } else { false } }) else {
            Issue.record("the worker never came to a retry")
            return
        }
        #expect(first.acked.isEmpty)
        var second = SimulatedWorker(arriving: [first.redelivered])
        #expect(second.run(&model) == .idle)
        #expect(second.acked.count == 2)
        let attempted = notifications(first.published).first { $0.id == "b" }?.bytes
        #expect(notifications(second.published).first { $0.id == "b" }?.bytes == attempted)
        #expect(model.applications == ["a": 1, "b": 1])
        #expect(model.pending.isEmpty)
    }

    @Test func aMessageTheClientCannotEncodeDeadLettersItsRecordAlone() {
        var model = FunctionModel()
        let batch = [body("a"), body("b"), body("c")]
        var worker = SimulatedWorker(arriving: [batch])
        worker.cannotSend = { message in
            if case .notification(let outputs) = message, outputs.recordId == "a" { "routing key over 255 bytes" } else { nil }
        }
        #expect(worker.run(&model) == .idle)
        #expect(worker.acked == batch)
        #expect(notifications(worker.published).map(\.id) == ["b", "c"])
        #expect(deadLetters(worker.published).map(\.body) == [body("a")])
        #expect(deadLetters(worker.published).map(\.reason) == [.publishRefused])
    }

    @Test func producerDuplicatesOfARefusedRecordAreAllDeadLettered() {
        var model = FunctionModel()
        var worker = SimulatedWorker(arriving: [[body("a"), body("b"), body("a")]])
        worker.refuses = isNotification(of: "a")
        #expect(worker.run(&model) == .idle)
        #expect(deadLetters(worker.published).map(\.body) == [body("a"), body("a")], "nothing vanishes: each delivery has its letter")
        let attempts = 1 + worker.machine.nackRetryDelaysMilliseconds.count
        #expect(notifications(worker.published).map(\.id) == ["a", "b"] + Array(repeating: "a", count: attempts - 1))
        #expect(worker.acked.count == 3)
    }

    /// A refused dead letter cannot be isolated further: the batch comes
    /// back, and its stored bytes go out again.
    @Test func aRefusedDeadLetterMakesTheBatchComeBackWithTheSameBytes() {
        var model = FunctionModel()
        let garbage = Array("not json".utf8)
        var first = SimulatedWorker(arriving: [[body("a"), garbage]])
        first.refuses = { if case .deadLetter = $0 { true } else { false } }
        guard case .reconnect = first.run(&model) else {
            Issue.record("a refused dead letter must end the session")
            return
        }
        #expect(first.acked.isEmpty)
        var second = SimulatedWorker(arriving: [first.redelivered])
        #expect(second.run(&model) == .idle)
        #expect(notifications(first.published).map(\.bytes) == notifications(second.published).map(\.bytes))
        #expect(model.applications == ["a": 1])
        #expect(second.acked.count == 2)
    }

    @Test func aRefusalInTheRefusalRoundMakesTheBatchComeBack() {
        var model = FunctionModel()
        var first = SimulatedWorker(arriving: [[body("a"), body("b")]])
        first.refuses = { message in
            switch message {
            case .notification(let outputs): outputs.recordId == "b"
            case .deadLetter: true
            case .alert: false
            }
        }
        guard case .reconnect = first.run(&model) else {
            Issue.record("a refused refusal letter must end the session")
            return
        }
        #expect(first.acked.isEmpty)
        #expect(Set(model.pending) == ["a", "b"], "nothing was forgotten before the batch was settled")
    }
}

@Suite("BatchProtocol: failures and stopping")
struct BatchProtocolLifecycleTests {
    @Test func failuresBackOffAndASuccessfulTurnResetsThem() {
        var worker = SimulatedWorker(arriving: [])
        var model = FunctionModel()
        var delays: [Int] = []
        for _ in 0..<5 {
            #expect(worker.run(&model, crashBefore: { _ in true }) == .crashed(before: .gather(firstWaitMilliseconds: 200)))
            guard case .reconnect(let delay, _) = worker.fail() else {
                Issue.record("no reconnect")
                return
            }
            delays.append(delay)
        }
        #expect(delays == [100, 200, 400, 800, 1_000])
        #expect(worker.machine.consecutiveFailures == 5)
        #expect(worker.run(&model) == .idle)
        #expect(worker.machine.consecutiveFailures == 0)
    }

    @Test func aFailureDropsBothBatchesUnacked() {
        var model = FunctionModel()
        var worker = SimulatedWorker(arriving: [[body("a")], [body("b")]])
        // Die while A is in flight and B's apply was just sent.
        _ = worker.run(&model, crashBefore: { if case .awaitConfirms = $0 { true } else { false } })
        #expect(worker.machine.hasBatchInFlight)
        guard case .reconnect = worker.fail() else {
            Issue.record("no reconnect")
            return
        }
        #expect(!worker.machine.hasBatchInFlight)
        #expect(worker.acked.isEmpty)
        #expect(worker.redelivered == [body("a"), body("b")])
    }

    @Test func stoppingFinishesTheBatchInFlight() {
        var model = FunctionModel()
        var worker = SimulatedWorker(arriving: [[body("a")]])
        // One turn: A is applied and published, not yet confirmed.
        _ = worker.run(&model, crashBefore: { $0 == .turnFinished })
        #expect(worker.machine.hasBatchInFlight)
        #expect(worker.stop(&model) == .stopped)
        #expect(worker.acked == [body("a")])
        #expect(model.pending.isEmpty)
        #expect(!worker.machine.hasBatchInFlight)
    }

    @Test func stoppingWithNothingInFlightStopsAtOnce() {
        var model = FunctionModel()
        var worker = SimulatedWorker(arriving: [])
        #expect(worker.stop(&model) == .stopped)
        #expect(worker.performed == [.stopped])
    }

    @Test func aFailureWhileStoppingStopsWithoutAcking() {
        var model = FunctionModel()
        var worker = SimulatedWorker(arriving: [[body("a")]])
        _ = worker.run(&model, crashBefore: { $0 == .turnFinished })
        var machine = worker.machine
        #expect(machine.stop() == .awaitConfirms)
        #expect(machine.failed(reason: "connection reset") == .stopped)
    }
}

/// Says yes `count` times, then no: a broker refusing for a while.
final class Countdown: @unchecked Sendable {
    private var left: Int
    init(_ count: Int) { left = count }
    func take() -> Bool {
        guard left > 0 else { return false }
        left -= 1
        return true
    }
}
