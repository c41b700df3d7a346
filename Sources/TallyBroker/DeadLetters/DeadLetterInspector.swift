import TallyAMQPClient
import TallyCore

/// Lists, shows, replays and purges `records.dead` (the `tally dead …`
/// commands).
///
/// Reading a letter takes it off the queue unacked (`basic.get`). A letter
/// is never handed back with `nack`/`requeue`: quorum queues count those
/// returns, and with a delivery limit (RabbitMQ 4 sets one of 20 by
/// default) enough `tally dead list` runs would drop the letters. Instead
/// every letter kept is published again, as a copy with its body, message
/// id and reasons, to the back of `records.dead`, and the original is acked
/// only once the broker confirmed the copy. Every operation reads all the
/// letters queued when it starts, oldest first, so the copies keep their
/// order (a letter arriving meanwhile lands before them). A letter leaves
/// the queue only when its replay was confirmed, or by a purge.
public final class DeadLetterInspector {
    public struct Letter: Sendable {
        /// 1 is the oldest letter in the queue when it was read.
        public let position: Int
        public let reason: String
        public let detail: String
        public let body: [UInt8]
        /// `tally dead replay` rounds so far (`x-tally-replays`).
        public let replays: Int64
        /// The message's `message_id`, else the body's `recordId` if it is
        /// a JSON object with one, else nil (malformed bodies).
        public let recordId: String?
        /// How often the broker dead-lettered it (`x-death` counts); 0 when
        /// a worker rejected it with a reason.
        public let deaths: Int64
        /// Every header, rendered, sorted by name.
        public let headers: [(name: String, value: String)]
    }

    /// Replays beyond this are refused, so a message that can never pass
    /// cannot loop between the queues.
    public static let maxReplays: Int64 = 3

    /// Reads and acks dead letters. Publishing happens on another
    /// connection: a confirm arriving amid a `basic.get` would confuse
    /// rabbitmq-c's reading of the message.
    private let reader: AMQPConnection
    private let publisher: ConfirmedPublisher
    private let topology: Topology

    public init(endpoint: AMQPEndpoint, topology: Topology) throws(AMQPError) {
        self.reader = try AMQPConnection(endpoint)
        self.publisher = try ConfirmedPublisher(endpoint: endpoint)
        self.topology = topology
    }

    /// How many letters are queued.
    public func count() throws(AMQPError) -> Int {
        try reader.queueStatus(topology.deadQueue).messages
    }

    /// The first `limit` dead letters; all stay queued, in order.
    public func list(limit: Int) throws(AMQPError) -> [Letter] {
        var letters: [Letter] = []
        var pending = Pending()
        try readAll { delivery, position throws(AMQPError) in
            if letters.count < limit { letters.append(Self.letter(delivery, position: position)) }
            try keep(delivery, &pending)
        }
        try settle(&pending)
        return letters
    }

    /// The letter at `position` (1 is the oldest), or nil if fewer are
    /// queued, and how many were; all stay queued, in order.
    public func show(position: Int) throws(AMQPError) -> (letter: Letter?, queued: Int) {
        precondition(position >= 1)
        var found: Letter?
        var queued = 0
        var pending = Pending()
        try readAll { delivery, read throws(AMQPError) in
            queued = read
            if read == position { found = Self.letter(delivery, position: read) }
            try keep(delivery, &pending)
        }
        try settle(&pending)
        return (found, queued)
    }

    /// Reads every letter queued now (unacked), oldest first.
    private func readAll(_ body: (AMQPDelivery, Int) throws(AMQPError) -> Void) throws(AMQPError) {
        let queued = try reader.queueStatus(topology.deadQueue).messages
        var position = 0
        while position < queued, let delivery = try reader.get(topology.deadQueue) {
            position += 1
            try body(delivery, position)
        }
    }

    /// Publishes awaiting their confirm, each with the letter it settles.
    private struct Pending {
        enum Kind { case kept, replayed(name: String) }
        var entries: [(sequence: UInt64, deliveryTag: UInt64, kind: Kind)] = []
        /// Replays confirmed so far, and refused.
        var replayed: [String] = []
        var refused = 0
    }

    /// Puts `delivery` back at the end of `records.dead` as a copy; the
    /// original is acked once the copy is confirmed.
    private func keep(_ delivery: AMQPDelivery, _ pending: inout Pending) throws(AMQPError) {
        let copy = AMQPOutgoing(
            exchange: "", routingKey: topology.deadQueue, messageId: delivery.messageId, contentType: nil,
            headers: DeadLetterHeaders.keptCopy(of: delivery.headers))
        try publish(copy, delivery, .kept, &pending)
    }

    private func publish(
        _ message: AMQPOutgoing, _ delivery: AMQPDelivery, _ kind: Pending.Kind, _ pending: inout Pending
    ) throws(AMQPError) {
        let sequence = try publisher.publish(message, body: delivery.body)
        pending.entries.append((sequence, delivery.deliveryTag, kind))
        // Settles as it goes, so a long run holds few unconfirmed.
        if pending.entries.count == 1_000 { try settle(&pending) }
    }

    /// Waits for the confirms of `pending` and acks each letter whose
    /// publish the broker took. A letter whose publish was refused is
    /// returned with `nack` (the one return that counts towards a delivery
    /// limit, and only while the broker is refusing).
    private func settle(_ pending: inout Pending) throws(AMQPError) {
        defer { pending.entries.removeAll() }
        guard !pending.entries.isEmpty else { return }
        let refusedSequences = Set(try publisher.flush())
        for (sequence, tag, kind) in pending.entries {
            if refusedSequences.contains(sequence) {
                if case .replayed = kind { pending.refused += 1 }
                try reader.nack(tag, multiple: false, requeue: true)
            } else {
                try reader.ack(tag, multiple: false)
                if case .replayed(let name) = kind { pending.replayed.append(name) }
            }
        }
    }

    public struct ReplayReport: Sendable {
        public var replayed = 0
        /// Selected but at the replay limit: left in `records.dead`.
        public var skipped = 0
        /// Refused by the broker (nacked): left in `records.dead`.
        public var refused = 0
        /// Read and not selected: left in `records.dead`, in place.
        public var unselected = 0
        /// What was replayed (recordId or `position N`), oldest first.
        public var replayedLetters: [String] = []
    }

    /// Sends the selected dead letters (at most `limit`) back to the records
    /// exchange, each acked off `records.dead` only after its re-publish was
    /// confirmed; everything else read — not selected, at the replay limit,
    /// refused by the broker — is returned in its order.
    public func replay(_ selection: DeadLetterSelection = .all, limit: Int) throws(AMQPError) -> ReplayReport {
        var report = ReplayReport()
        var pending = Pending()
        var chosen = 0
        // Only the letters queued now: a replayed message that fails again
        // comes back behind them and must wait for the next replay.
        try readAll { delivery, position throws(AMQPError) in
            let letter = Self.letter(delivery, position: position)
            guard chosen < limit, selection.matches(letter) else {
                report.unselected += 1
                try keep(delivery, &pending)
                return
            }
            chosen += 1
            if letter.replays >= Self.maxReplays {
                report.skipped += 1
                try keep(delivery, &pending)
                return
            }
            var message = ConfirmedPublisher.envelope(for: delivery.body, exchange: topology.recordsExchange)
            message.headers = [(DeadLetterHeaders.replayCount, .integer(letter.replays + 1))]
            try publish(message, delivery, .replayed(name: letter.recordId ?? "position \(position)"), &pending)
        }
        try settle(&pending)
        report.replayed = pending.replayed.count
        report.replayedLetters = pending.replayed
        report.refused = pending.refused
        return report
    }

    /// Deletes every queued dead letter; returns how many there were.
    public func purge() throws(AMQPError) -> Int {
        try reader.purgeQueue(topology.deadQueue)
    }

    static func letter(_ delivery: AMQPDelivery, position: Int) -> Letter {
        let (reason, detail) = DeadLetterHeaders.describe(delivery.headers)
        var deaths: Int64 = 0
        if case .array(let entries)? = delivery.headers["x-death"] {
            for case .table(let entry) in entries { deaths += entry["count"]?.integer ?? 0 }
        } else {
            deaths = delivery.headers[DeadLetterHeaders.deathCount]?.integer ?? 0
        }
        return Letter(
            position: position, reason: reason, detail: detail, body: delivery.body,
            replays: delivery.headers[DeadLetterHeaders.replayCount]?.integer ?? 0,
            recordId: delivery.messageId ?? recordId(in: delivery.body), deaths: deaths,
            headers: delivery.headers.keys.sorted().map { ($0, render(delivery.headers[$0]!)) })
    }

    private static func recordId(in body: [UInt8]) -> String? {
        guard let json = try? JSONParser.parse(body), case .string(let id)? = json["recordId"] else { return nil }
        return id
    }

    private static func render(_ value: AMQPFieldValue) -> String {
        switch value {
        case .string(let text): return text
        case .integer(let number): return String(number)
        case .boolean(let flag): return String(flag)
        case .array(let values): return "[" + values.map(render).joined(separator: ", ") + "]"
        case .table(let table): return "{" + table.keys.sorted().map { "\($0): \(render(table[$0]!))" }.joined(separator: ", ") + "}"
        case .unsupported(let kind): return "(field kind \(kind))"
        }
    }
}
