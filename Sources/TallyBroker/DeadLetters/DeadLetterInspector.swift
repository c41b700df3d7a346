import TallyAMQPClient
import TallyCore

/// Lists, shows, replays and purges `records.dead` (the `tally dead …`
/// commands).
///
/// Reading a letter takes it off the queue unacked (`basic.get`). RabbitMQ
/// 3.10's quorum queues put a returned letter at the back, so reading only
/// the first few and returning them would rotate the queue: every
/// operation reads all the letters queued when it starts and returns every
/// one it does not remove, oldest first, which leaves them in their order
/// (a letter arriving meanwhile lands before them). A letter leaves the
/// queue only when its re-publish was confirmed, or by a purge.
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
        let last = try readAll { delivery, position throws(AMQPError) in
            if letters.count < limit { letters.append(Self.letter(delivery, position: position)) }
        }
        try returnAll(upTo: last)
        return letters
    }

    /// The letter at `position` (1 is the oldest), or nil if fewer are
    /// queued, and how many were; all stay queued, in order.
    public func show(position: Int) throws(AMQPError) -> (letter: Letter?, queued: Int) {
        precondition(position >= 1)
        var found: Letter?
        var queued = 0
        let last = try readAll { delivery, read throws(AMQPError) in
            queued = read
            if read == position { found = Self.letter(delivery, position: read) }
        }
        try returnAll(upTo: last)
        return (found, queued)
    }

    /// Reads every letter queued now (unacked), oldest first; returns the
    /// delivery tag of the last.
    private func readAll(_ body: (AMQPDelivery, Int) throws(AMQPError) -> Void) throws(AMQPError) -> UInt64? {
        let queued = try reader.queueStatus(topology.deadQueue).messages
        var lastTag: UInt64?
        var position = 0
        while position < queued, let delivery = try reader.get(topology.deadQueue) {
            position += 1
            lastTag = delivery.deliveryTag
            try body(delivery, position)
        }
        return lastTag
    }

    /// Returns every letter read and not acked, in order (one `nack` with
    /// `multiple`). `lastTag` must itself be unacked: the broker closes the
    /// channel on a tag it no longer knows.
    private func returnAll(upTo lastTag: UInt64?) throws(AMQPError) {
        if let lastTag { try reader.nack(lastTag, multiple: true, requeue: true) }
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
        var sent: [(sequence: UInt64, deliveryTag: UInt64, name: String)] = []
        var read: [UInt64] = []
        var acked = Set<UInt64>()
        // Only the letters queued now: a replayed message that fails again
        // comes back behind them and must wait for the next replay.
        _ = try readAll { delivery, position throws(AMQPError) in
            read.append(delivery.deliveryTag)
            let letter = Self.letter(delivery, position: position)
            guard sent.count + report.replayed + report.refused + report.skipped < limit, selection.matches(letter) else {
                report.unselected += 1
                return
            }
            if letter.replays >= Self.maxReplays {
                report.skipped += 1
                return
            }
            var message = ConfirmedPublisher.envelope(for: delivery.body, exchange: topology.recordsExchange)
            message.headers = [(DeadLetterHeaders.replayCount, .integer(letter.replays + 1))]
            let sequence = try publisher.publish(message, body: delivery.body)
            sent.append((sequence, delivery.deliveryTag, letter.recordId ?? "position \(position)"))
            // Settles as it goes, so a long replay holds few unconfirmed.
            if sent.count == 1_000 { acked.formUnion(try settle(&sent, into: &report)) }
        }
        // Confirmed re-publishes are acked; then everything else read (not
        // selected, at the limit, refused by the broker) goes back in order.
        acked.formUnion(try settle(&sent, into: &report))
        try returnAll(upTo: read.last { !acked.contains($0) })
        return report
    }

    /// Waits for the confirms of `sent` and acks what the broker took; what
    /// it refused stays unacked, to be returned.
    private func settle(
        _ sent: inout [(sequence: UInt64, deliveryTag: UInt64, name: String)], into report: inout ReplayReport
    ) throws(AMQPError) -> [UInt64] {
        let refused = Set(try publisher.flush())
        var acked: [UInt64] = []
        for (sequence, tag, name) in sent {
            if refused.contains(sequence) {
                report.refused += 1  // stays unacked: returned in order with the rest
            } else {
                try reader.ack(tag, multiple: false)
                acked.append(tag)
                report.replayed += 1
                report.replayedLetters.append(name)
            }
        }
        sent.removeAll()
        return acked
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
