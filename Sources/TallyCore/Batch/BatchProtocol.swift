/// The worker's exactly-once batch protocol as a state machine: events in
/// (deliveries, the Function's answers, the broker's confirms, failures),
/// actions out (apply, publish, forget, ack, reject). It does no IO; the
/// worker's loop performs each action and reports what came of it, and the
/// unit tests drive it through every crash point without servers.
///
/// Every batch goes through the same steps in the same order: validate,
/// apply in Redis, publish every output and dead letter, wait for the
/// broker's confirms, forget the confirmed outcomes, ack. Two batches
/// overlap — Redis applies batch N+1 while the broker confirms batch N —
/// and one turn of the loop reads:
///
/// 1. gather batch N+1 (``Action/gather(firstWaitMilliseconds:)``) and validate it;
/// 2. send its apply calls (``Action/sendApply(_:)``), answered later;
/// 3. wait for N's confirms (``Action/awaitConfirms``);
/// 4. send N's forget (``Action/sendForget(_:)``), queued behind the apply;
/// 5. read N+1's apply answers (``Action/receiveApplied(count:)``);
/// 6. read N's forget answers (``Action/receiveForgotten(count:)``);
/// 7. ack N (``Action/settle(_:)``);
/// 8. publish N+1 (``Action/publish(_:)``): N+1 is now the batch in flight.
///
/// Each batch is acked only after its own outputs are confirmed and
/// forgotten, so the overlap changes nothing a crash can observe. One rule
/// comes from the overlap: Redis applies N+1 before N's forget lands, so a
/// producer duplicate of a record of N finds N's outcome still pending
/// although it was just confirmed; that answer is a duplicate, not an
/// outcome to publish again (see ``applied(_:)``).
///
/// A record fails alone. The Function's error for one record, or the
/// broker's refusal of one record's output (a nack, or a message the client
/// could not encode), turns that record into a dead letter with its reason;
/// the refusals are published and confirmed in a round of their own between
/// steps 3 and 4, and the batch is acked whole — every batchmate keeps its
/// effect, its one notification and its ack.
///
/// A nack is not final at once: after a broker node is lost, a channel
/// that still routes to a quorum queue's old leader has everything nacked.
/// The nacked outputs are published again, the same bytes, on a new
/// connection (the IO layer's part), after each delay of
/// ``nackRetryDelaysMilliseconds`` (``Action/republish(_:afterMilliseconds:attempt:)``);
/// only what the broker still refuses after the last is dead-lettered. A
/// queue bound to the exchange that took an earlier attempt gets the
/// output again, byte-identical under the same message id, as after any
/// redelivery.
///
/// A failure of a connection or of the servers' state (``failed(reason:)``)
/// drops both batches unacked: the broker redelivers them and the Function
/// makes that harmless.
public struct BatchProtocol: Sendable {
    /// One message taken from the work queue.
    public struct Delivery: Sendable, Equatable {
        public let tag: UInt64
        public let body: [UInt8]
        /// How often an operator replayed this body from the dead letters.
        public let replays: Int64

        public init(tag: UInt64, body: [UInt8], replays: Int64 = 0) {
            self.tag = tag
            self.body = body
            self.replays = replays
        }
    }

    /// What the IO layer must do next; each case names the event that
    /// reports its completion.
    public enum Action: Sendable, Equatable {
        /// Wait up to `firstWaitMilliseconds` for a first delivery, then
        /// gather a batch; report it with ``gathered(_:)`` (empty if none came).
        case gather(firstWaitMilliseconds: Int)
        /// Idle: nothing arrived and nothing is in flight. Keep the
        /// publishing connection's heartbeats going; report ``keptAlive()``.
        case keepAlive
        /// Send one apply call per record without waiting for the answers;
        /// report ``applySent()``.
        case sendApply([PreparedRecord])
        /// Wait until the broker answered every publish made since the last
        /// wait; report ``confirmed(nacked:)`` with the positions, in the
        /// list last published, of the messages it refused.
        case awaitConfirms
        /// Send the forget of these confirmed outcomes, behind any apply
        /// sent; report ``forgetSent()``.
        case sendForget([RecordOutputs])
        /// Read the answers to the apply calls sent; report ``applied(_:)``.
        case receiveApplied(count: Int)
        /// Read the answers to the forget sent; report ``forgotten()``.
        case receiveForgotten(count: Int)
        /// Ack the ledger's ``BatchLedger/ackTag`` with `multiple`; report
        /// ``settled()``.
        case settle(BatchLedger)
        /// Publish these, in order, with publisher confirms; report
        /// ``published(unsent:)`` with the positions of those that could not
        /// be sent at all (and why), the connection being intact.
        case publish([BatchLedger.Message])
        /// Wait `afterMilliseconds` (a stop does not cut it short: the
        /// batch is finishing), then publish these outputs the broker
        /// nacked once more, as ``publish(_:)``, on a new publishing
        /// connection; `attempt` counts from 1 up to
        /// ``nackRetryDelaysMilliseconds``'s count.
        case republish([BatchLedger.Message], afterMilliseconds: Int, attempt: Int)
        /// The turn is over: call ``nextTurn()``, or ``stop()`` to finish.
        case turnFinished
        /// Close every connection (what is unacked returns to the queue),
        /// wait, connect again and call ``nextTurn()``.
        case reconnect(afterMilliseconds: Int, reason: String)
        /// Nothing is in flight any more: close the connections and return.
        case stopped
    }

    private enum Phase: Int, Comparable {
        case betweenTurns, gathering, keepingAlive, sendingApply, confirming
        /// Publishing, then confirming, N's nacked outputs again.
        case republishing, confirmingRepublished
        case publishingRefusals, confirmingRefusals, sendingForget
        case receivingApplied, receivingForgotten, settling, publishing, stopped

        static func < (a: Phase, b: Phase) -> Bool { a.rawValue < b.rawValue }
    }

    /// The batch gathered this turn (N+1).
    private struct Incoming {
        var deliveries: [Delivery] = []
        /// Per delivery: its rejection, or nil when it was prepared.
        var rejections: [Rejection?] = []
        var prepared: [PreparedRecord] = []
        /// Position in `deliveries` of each prepared record.
        var preparedIndex: [Int] = []
        var results: [ApplyResult] = []
    }

    private let validator: RecordValidator
    private let alerts: AlertPolicy
    private let backoff: BackoffPolicy
    /// Before each further attempt at a nacked output, this long a wait:
    /// 15.75 s in all by default, enough for a quorum queue to elect a new
    /// leader when a node dies (the cluster tests see 1–3 s).
    public let nackRetryDelaysMilliseconds: [Int]
    public static let defaultNackRetryDelaysMilliseconds = [250, 500, 1_000, 2_000, 4_000, 8_000]

    private var phase = Phase.betweenTurns
    /// Stopping: finish the batch in flight, take no more.
    private var draining = false
    private var incoming = Incoming()
    /// The published batch (N), awaiting its confirms.
    private var inFlight: BatchLedger?
    /// What was published for N, in order: confirms and refusals name positions in it.
    private var inFlightMessages: [BatchLedger.Message] = []
    /// Positions in `inFlightMessages` the IO layer could not send, and why.
    private var inFlightUnsent: [Int: String] = [:]
    /// Positions in `inFlightMessages` published again this round, in
    /// the order of that publish; and how many rounds so far.
    private var republished: [Int] = []
    private var republishRounds = 0
    /// Dead letters of N's records whose outputs the broker refused.
    private var refusals: [BatchLedger.Message] = []
    /// N's outputs being forgotten this turn.
    private var forgetting: [RecordOutputs] = []
    /// Failures since the last successful turn.
    public private(set) var consecutiveFailures = 0

    public init(
        validator: RecordValidator, alerts: AlertPolicy, backoff: BackoffPolicy,
        nackRetryDelaysMilliseconds: [Int] = defaultNackRetryDelaysMilliseconds
    ) {
        self.validator = validator
        self.alerts = alerts
        self.backoff = backoff
        self.nackRetryDelaysMilliseconds = nackRetryDelaysMilliseconds
    }

    /// Whether a batch is published and not yet acked.
    public var hasBatchInFlight: Bool { inFlight != nil }

    // MARK: Turns

    /// Starts a turn. The first wait is short while a batch is in flight
    /// (its confirms are due), longer when idle.
    public mutating func nextTurn() -> Action {
        precondition(phase == .betweenTurns, "nextTurn() while a turn is under way (\(phase))")
        precondition(!draining, "nextTurn() after stop()")
        phase = .gathering
        forgetting = []
        refusals = []
        return .gather(firstWaitMilliseconds: inFlight == nil ? 200 : 0)
    }

    /// Finishes the batch in flight, if any (confirm, forget, ack), and
    /// then says ``Action/stopped``. Call between turns.
    public mutating func stop() -> Action {
        precondition(phase == .betweenTurns, "stop() while a turn is under way (\(phase))")
        draining = true
        incoming = Incoming()
        forgetting = []
        refusals = []
        phase = .keepingAlive  // the last step before the ones that settle N
        return advance()
    }

    // MARK: Events

    /// The batch gathered; validates every body (bad ones become dead
    /// letters with their reason, never dropped).
    public mutating func gathered(_ deliveries: [Delivery]) -> Action {
        precondition(phase == .gathering, "gathered(_:) in \(phase)")
        if deliveries.isEmpty && inFlight == nil {
            phase = .keepingAlive
            return .keepAlive
        }
        incoming = Incoming()
        incoming.deliveries = deliveries
        incoming.rejections.reserveCapacity(deliveries.count)
        for (index, delivery) in deliveries.enumerated() {
            switch validator.validate(delivery.body) {
            case .success(let record):
                incoming.prepared.append(PreparedRecord(record, alerts: alerts))
                incoming.preparedIndex.append(index)
                incoming.rejections.append(nil)
            case .failure(let rejection):
                incoming.rejections.append(rejection)
            }
        }
        phase = .keepingAlive
        return advance()
    }

    public mutating func keptAlive() -> Action {
        precondition(phase == .keepingAlive, "keptAlive() in \(phase)")
        return finishTurn()
    }

    public mutating func applySent() -> Action {
        precondition(phase == .sendingApply, "applySent() in \(phase)")
        return advance()
    }

    /// The broker answered every publish since the last wait, refusing
    /// those at `nacked` (positions in the list last published).
    ///
    /// For the batch in flight, each refused or unsent output makes its
    /// record a dead letter (``Rejection/Reason/publishRefused``), published
    /// next; its stored outcome is not forgotten, so a replay publishes the
    /// same bytes. A refused dead letter cannot be isolated: the batch is
    /// redelivered. In the refusal round itself any refusal redelivers.
    public mutating func confirmed(nacked: [Int]) -> Action {
        switch phase {
        case .confirming:
            republishRounds = 0
            return retryOrRefuse(nacked.filter { inFlightUnsent[$0] == nil })
        case .confirmingRepublished:
            return retryOrRefuse(nacked.map { republished[$0] })
        case .confirmingRefusals:
            guard nacked.isEmpty else {
                return failed(reason: "the broker refused \(nacked.count) dead letters; the batch will be redelivered")
            }
            return advance()
        default:
            preconditionFailure("confirmed(nacked:) in \(phase)")
        }
    }

    /// N's outputs at `nacked` (positions in `inFlightMessages`) are
    /// published again while delays remain; then they, and the outputs
    /// that could not be sent, make their records dead letters.
    private mutating func retryOrRefuse(_ nacked: [Int]) -> Action {
        if !nacked.isEmpty && republishRounds < nackRetryDelaysMilliseconds.count {
            republishRounds += 1
            republished = nacked
            phase = .republishing
            return .republish(
                nacked.map { inFlightMessages[$0] }, afterMilliseconds: nackRetryDelaysMilliseconds[republishRounds - 1],
                attempt: republishRounds)
        }
        var refused = inFlightUnsent
        let times = republishRounds + 1
        for position in nacked where refused[position] == nil {
            refused[position] = times == 1 ? "the broker refused it (basic.nack)" : "the broker refused it (basic.nack, \(times) times)"
        }
        for (position, reason) in refused.sorted(by: { $0.key < $1.key }) {
            let rejection = Rejection(.publishRefused, detail: reason)
            guard let letters = inFlight?.refuse(inFlightMessages[position], because: rejection) else {
                return failed(reason: "the broker refused a dead letter (\(reason)); the batch will be redelivered")
            }
            refusals += letters
        }
        republished = []
        forgetting = inFlight?.confirmedOutputs ?? []
        phase = .confirmingRepublished  // the step before the refusals
        return advance()
    }

    public mutating func forgetSent() -> Action {
        precondition(phase == .sendingForget, "forgetSent() in \(phase)")
        return advance()
    }

    /// The Function's answers, one per record sent, in order.
    public mutating func applied(_ results: [ApplyResult]) -> Action {
        precondition(phase == .receivingApplied, "applied(_:) in \(phase)")
        precondition(results.count == incoming.prepared.count, "\(results.count) answers for \(incoming.prepared.count) records")
        incoming.results = results
        return advance()
    }

    public mutating func forgotten() -> Action {
        precondition(phase == .receivingForgotten, "forgotten() in \(phase)")
        return advance()
    }

    public mutating func settled() -> Action {
        precondition(phase == .settling, "settled() in \(phase)")
        inFlight = nil
        inFlightMessages = []
        inFlightUnsent = [:]
        return advance()
    }

    /// The messages of the last ``Action/publish(_:)`` were sent but for
    /// those at the positions in `unsent` (with the reason each could not be).
    public mutating func published(unsent: [Int: String] = [:]) -> Action {
        switch phase {
        case .publishing:
            inFlightUnsent = unsent
            return finishTurn()
        case .republishing:
            // What cannot be sent now could not be sent the first time
            // either (the encoding is the same): refused at once.
            for (position, reason) in unsent { inFlightUnsent[republished[position]] = reason }
            phase = .confirmingRepublished
            return .awaitConfirms
        case .publishingRefusals:
            guard unsent.isEmpty else {
                return failed(reason: "a dead letter could not be sent (\(unsent.values.first ?? "")); the batch will be redelivered")
            }
            return advance()
        default:
            preconditionFailure("published(unsent:) in \(phase)")
        }
    }

    /// A connection or a call failed, at any step: both batches stay
    /// unacked and return to the queue when the connections close.
    public mutating func failed(reason: String) -> Action {
        incoming = Incoming()
        inFlight = nil
        inFlightMessages = []
        inFlightUnsent = [:]
        republished = []
        forgetting = []
        refusals = []
        if draining {
            phase = .stopped
            return .stopped
        }
        phase = .betweenTurns
        consecutiveFailures += 1
        return .reconnect(afterMilliseconds: backoff.delayMilliseconds(afterFailures: consecutiveFailures), reason: reason)
    }

    // MARK: Steps

    /// Moves to the next step this turn needs, skipping the ones with
    /// nothing to do.
    private mutating func advance() -> Action {
        while true {
            guard let next = Phase(rawValue: phase.rawValue + 1), next < .stopped else { return finishTurn() }
            phase = next
            switch next {
            case .sendingApply where !incoming.prepared.isEmpty:
                return .sendApply(incoming.prepared)
            case .confirming where inFlight != nil:
                return .awaitConfirms
            case .publishingRefusals where !refusals.isEmpty:
                return .publish(refusals)
            case .confirmingRefusals where !refusals.isEmpty:
                return .awaitConfirms
            case .sendingForget where !forgetting.isEmpty:
                return .sendForget(forgetting)
            case .receivingApplied where !incoming.prepared.isEmpty:
                return .receiveApplied(count: incoming.prepared.count)
            case .receivingForgotten where !forgetting.isEmpty:
                return .receiveForgotten(count: forgetting.count)
            case .settling where inFlight != nil:
                return .settle(inFlight!)
            case .publishing where !incoming.deliveries.isEmpty:
                let ledger = ledgerOfIncoming()
                inFlight = ledger
                inFlightMessages = ledger.messagesToPublish
                inFlightUnsent = [:]
                incoming = Incoming()
                return .publish(inFlightMessages)
            default:
                continue
            }
        }
    }

    private mutating func finishTurn() -> Action {
        consecutiveFailures = 0
        if draining {
            phase = .stopped
            return .stopped
        }
        phase = .betweenTurns
        return .turnFinished
    }

    /// Decides every delivery of the incoming batch from its validation and
    /// the Function's answer.
    private func ledgerOfIncoming() -> BatchLedger {
        var outcomes = incoming.rejections.map { rejection in rejection.map(DeliveryOutcome.deadLetter) ?? .duplicate }
        // The answers of N+1 were computed before N's forget landed: an
        // outcome of N still pending is one the broker has just confirmed.
        var confirmedInN: Set<OutputIdentity>?
        for (position, result) in incoming.results.enumerated() {
            let record = incoming.prepared[position].record
            if case .pending = result, !forgetting.isEmpty {
                if confirmedInN == nil { confirmedInN = Set(forgetting.lazy.map(OutputIdentity.init)) }
                if confirmedInN!.contains(OutputIdentity(record)) { continue }  // stays .duplicate
            }
            outcomes[incoming.preparedIndex[position]] = DeliveryOutcome(
                result, record: record, fingerprint: incoming.prepared[position].fingerprint)
        }
        var ledger = BatchLedger()
        for (delivery, outcome) in zip(incoming.deliveries, outcomes) {
            ledger.record(deliveryTag: delivery.tag, body: delivery.body, outcome: outcome, replays: delivery.replays)
        }
        return ledger
    }
}
