/// The bookkeeping of one batch, kept apart from IO so that the order of
/// effects can be tested without a broker; ``BatchProtocol`` fills one
/// per batch.
///
/// The worker records an outcome per delivery, then asks the ledger what to
/// do, in this order, which is what makes outputs at-least-once with a
/// stable identity and input acks safe:
/// 1. ``messagesToPublish`` — every output and dead letter, with confirms;
/// 2. once all are confirmed: ``confirmedOutputs`` — forget their stored outcomes;
/// 3. ``requeueTags`` — reject each with requeue (counts towards the delivery limit);
/// 4. ``ackTag`` — one `basic.ack` with `multiple` for all the rest.
public struct BatchLedger: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let deliveryTag: UInt64
        public let body: [UInt8]
        public let outcome: DeliveryOutcome
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

    public private(set) var entries: [Entry] = []

    public init() {}

    public mutating func record(deliveryTag: UInt64, body: [UInt8], outcome: DeliveryOutcome, replays: Int64 = 0) {
        precondition(entries.last.map { $0.deliveryTag < deliveryTag } ?? true, "delivery tags increase on a channel")
        entries.append(Entry(deliveryTag: deliveryTag, body: body, outcome: outcome, replays: replays))
    }

    public var isEmpty: Bool { entries.isEmpty }
    public var count: Int { entries.count }

    /// A recordId's outputs are published once per batch, even when a
    /// producer duplicate in the same batch found them pending too.
    public var messagesToPublish: [Message] {
        var messages: [Message] = []
        messages.reserveCapacity(entries.count + 8)
        var published = Set<OutputIdentity>()
        for entry in entries {
            switch entry.outcome {
            case .publish(let outputs):
                guard published.insert(OutputIdentity(outputs)).inserted else { continue }
                messages.append(.notification(outputs))
                if outputs.alert != nil { messages.append(.alert(outputs)) }
            case .deadLetter(let rejection):
                messages.append(.deadLetter(body: entry.body, rejection: rejection, replays: entry.replays))
            case .duplicate, .requeue:
                break
            }
        }
        return messages
    }

    /// Outputs confirmed downstream, whose stored outcomes can now be dropped
    /// so that later producer duplicates re-publish nothing.
    public var confirmedOutputs: [RecordOutputs] {
        var seen = Set<OutputIdentity>()
        return entries.compactMap {
            if case .publish(let outputs) = $0.outcome, seen.insert(OutputIdentity(outputs)).inserted { outputs } else { nil }
        }
    }

    public var requeueTags: [UInt64] {
        entries.compactMap { if case .requeue = $0.outcome { $0.deliveryTag } else { nil } }
    }

    /// The tag to ack with `multiple`: the highest tag that is not requeued.
    /// Requeued ones are rejected first, so `multiple` no longer covers them.
    public var ackTag: UInt64? {
        entries.last(where: { if case .requeue = $0.outcome { false } else { true } })?.deliveryTag
    }

    public mutating func reset() { entries.removeAll(keepingCapacity: true) }
}
