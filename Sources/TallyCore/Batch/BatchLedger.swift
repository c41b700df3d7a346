/// The bookkeeping of one batch, kept apart from IO so that the order of
/// effects can be tested without a broker; ``BatchProtocol`` fills one
/// per batch.
///
/// The worker records an outcome per delivery, then asks the ledger what to
/// do, in this order, which is what makes outputs at-least-once with a
/// stable identity and input acks safe:
/// 1. ``messagesToPublish`` — every output and dead letter, with confirms;
/// 2. if the broker refused some of them: ``refuse(_:because:)`` turns each
///    affected record into a dead letter of its own, published and confirmed
///    in turn (the batchmates are untouched);
/// 3. once all are confirmed: ``confirmedOutputs`` — forget their stored outcomes;
/// 4. ``ackTag`` — one `basic.ack` with `multiple` for the whole batch.
public struct BatchLedger: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let deliveryTag: UInt64
        public let body: [UInt8]
        public internal(set) var outcome: DeliveryOutcome
        /// How often an operator replayed this body from the dead letters;
        /// carried into a new dead letter so replays stop at their limit.
        public let replays: Int64
    }

    /// One message to publish, in publish order.
    public enum Message: Sendable, Equatable {
        case notification(RecordOutputs)
        case alert(RecordOutputs)
        case deadLetter(body: [UInt8], rejection: Rejection, replays: Int64)
    }

    /// How the batch's deliveries are decided, counted as they are
    /// recorded and refused: the worker's statistics and metrics read
    /// these instead of walking the entries again.
    public struct Tally: Sendable, Equatable {
        public var published = 0
        public var alerts = 0
        public var duplicates = 0
        public var deadLetters = 0

        mutating func count(_ outcome: DeliveryOutcome, by step: Int) {
            switch outcome {
            case .publish(let outputs):
                published += step
                if outputs.alert != nil { alerts += step }
            case .duplicate: duplicates += step
            case .deadLetter: deadLetters += step
            }
        }
    }

    public private(set) var entries: [Entry] = []
    public private(set) var tally = Tally()

    public init() {}

    public mutating func record(deliveryTag: UInt64, body: [UInt8], outcome: DeliveryOutcome, replays: Int64 = 0) {
        precondition(entries.last.map { $0.deliveryTag < deliveryTag } ?? true, "delivery tags increase on a channel")
        entries.append(Entry(deliveryTag: deliveryTag, body: body, outcome: outcome, replays: replays))
        tally.count(outcome, by: 1)
    }

    public var isEmpty: Bool { entries.isEmpty }
    public var count: Int { entries.count }

    /// A recordId's outputs are published once per batch, even when a
    /// producer duplicate in the same batch found them pending too.
    public var messagesToPublish: [Message] {
        var messages: [Message] = []
        messages.reserveCapacity(entries.count + 8)
        var published = Set<OutputIdentity>(minimumCapacity: entries.count)
        for entry in entries {
            switch entry.outcome {
            case .publish(let outputs):
                guard published.insert(OutputIdentity(outputs)).inserted else { continue }
                messages.append(.notification(outputs))
                if outputs.alert != nil { messages.append(.alert(outputs)) }
            case .deadLetter(let rejection):
                messages.append(.deadLetter(body: entry.body, rejection: rejection, replays: entry.replays))
            case .duplicate:
                break
            }
        }
        return messages
    }

    /// Outputs confirmed downstream, whose stored outcomes can now be dropped
    /// so that later producer duplicates re-publish nothing.
    public var confirmedOutputs: [RecordOutputs] {
        var seen = Set<OutputIdentity>(minimumCapacity: entries.count)
        return entries.compactMap {
            if case .publish(let outputs) = $0.outcome, seen.insert(OutputIdentity(outputs)).inserted { outputs } else { nil }
        }
    }

    /// The tag to ack with `multiple`: every delivery of a batch is settled
    /// by then, each by its effect and outputs or by its dead letter.
    public var ackTag: UInt64? { entries.last?.deliveryTag }

    /// The broker refused `message` (or it could not be sent): every delivery
    /// that would have published it becomes a dead letter with `rejection`.
    /// Returns those dead letters, to publish and confirm before the batch
    /// is acked; nil when `message` is itself a dead letter, which cannot be
    /// isolated further (the batch is then redelivered).
    public mutating func refuse(_ message: Message, because rejection: Rejection) -> [Message]? {
        let identity: OutputIdentity
        switch message {
        case .notification(let outputs), .alert(let outputs): identity = OutputIdentity(outputs)
        case .deadLetter: return nil
        }
        var letters: [Message] = []
        for index in entries.indices {
            guard case .publish(let outputs) = entries[index].outcome, OutputIdentity(outputs) == identity else { continue }
            tally.count(entries[index].outcome, by: -1)
            entries[index].outcome = .deadLetter(rejection)
            tally.count(entries[index].outcome, by: 1)
            letters.append(.deadLetter(body: entries[index].body, rejection: rejection, replays: entries[index].replays))
        }
        return letters
    }

    public mutating func reset() {
        entries.removeAll(keepingCapacity: true)
        tally = Tally()
    }
}
