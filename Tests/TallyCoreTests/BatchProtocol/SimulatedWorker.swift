import TallyCore
import Testing

/// Performs ``BatchProtocol``'s actions the way the worker's loop does, but
/// against a ``FunctionModel`` and a broker that only records: what was
/// published, refused and acked. A crash is the simulation stopping before
/// an action; the process that follows is a new `SimulatedWorker` given the
/// deliveries the broker never saw acked.
struct SimulatedWorker {
    private(set) var machine = BatchProtocol(
        validator: RecordValidator(), alerts: AlertPolicy(defaultThreshold: ExactDecimal(1_000)),
        backoff: BackoffPolicy(initialMilliseconds: 100, maximumMilliseconds: 1_000))
    /// Batches the broker hands out, one per gather; then nothing.
    var arriving: [[Body]]
    /// Every message published, in order (a redelivery's re-publish included).
    private(set) var published: [BatchLedger.Message] = []
    /// Publishes not yet confirmed: a crash loses their confirms.
    private(set) var unconfirmed = 0
    private(set) var acked: [Body] = []
    /// Delivered and not acked: what the broker redelivers when this
    /// worker's connection goes.
    private(set) var unacked: [UInt64: Body] = [:]
    /// The broker nacks every message this says yes to (e.g. a queue that
    /// refuses one routing key).
    var refuses: (BatchLedger.Message) -> Bool = { _ in false }
    /// The client cannot send a message this names a reason for (e.g. an
    /// AMQP short string over 255 bytes); it never reaches the broker.
    var cannotSend: (BatchLedger.Message) -> String? = { _ in nil }
    /// Messages the broker refused (nacked), in order.
    private(set) var refused: [BatchLedger.Message] = []
    /// The last publish, and the positions in it the broker will nack.
    private var lastPublish: [BatchLedger.Message] = []
    private var toNack: [Int] = []
    /// Every action performed, in order.
    private(set) var performed: [BatchProtocol.Action] = []
    private var nextTag: UInt64 = 1

    typealias Body = [UInt8]

    init(arriving: [[Body]]) {
        self.arriving = arriving
    }

    enum Ending: Equatable {
        /// Stopped before performing this action.
        case crashed(before: BatchProtocol.Action)
        /// Nothing arrived and nothing is in flight.
        case idle
        case reconnect(afterMilliseconds: Int)
        case stopped
    }

    /// Runs from `action` until the worker is idle, or `crash` says to stop
    /// before an action.
    mutating func run(
        _ model: inout FunctionModel, from start: BatchProtocol.Action? = nil,
        crashBefore crash: (BatchProtocol.Action) -> Bool = { _ in false }
    ) -> Ending {
        var action = start ?? machine.nextTurn()
        for _ in 0..<1_000 {
            if crash(action) { return .crashed(before: action) }
            performed.append(action)
            switch action {
            case .gather:
                let batch = arriving.isEmpty ? [] : arriving.removeFirst()
                action = machine.gathered(batch.map { deliver($0) })
            case .keepAlive:
                _ = machine.keptAlive()
                return .idle
            case .sendApply(let records):
                // Redis runs the calls as they arrive; the answers wait.
                pendingAnswers = model.apply(records)
                action = machine.applySent()
            case .awaitConfirms:
                let nacked = toNack
                toNack = []
                unconfirmed = 0
                refused += nacked.map { lastPublish[$0] }
                action = machine.confirmed(nacked: nacked)
            case .sendForget(let outputs):
                model.forget(outputs)
                action = machine.forgetSent()
            case .receiveApplied:
                action = machine.applied(pendingAnswers)
                pendingAnswers = []
            case .receiveForgotten:
                action = machine.forgotten()
            case .settle(let ledger):
                settle(ledger)
                action = machine.settled()
            case .publish(let messages), .republish(let messages, _, _):
                var unsent: [Int: String] = [:]
                lastPublish = messages
                for (position, message) in messages.enumerated() {
                    if let reason = cannotSend(message) {
                        unsent[position] = reason
                        continue
                    }
                    published.append(message)
                    unconfirmed += 1
                    if refuses(message) { toNack.append(position) }
                }
                action = machine.published(unsent: unsent)
            case .turnFinished:
                action = machine.nextTurn()
            case .reconnect(let delay, _):
                return .reconnect(afterMilliseconds: delay)
            case .stopped:
                return .stopped
            }
        }
        Issue.record("the protocol did not settle within 1,000 actions")
        return .idle
    }

    /// Asks the protocol to stop between turns and finishes.
    mutating func stop(_ model: inout FunctionModel) -> Ending {
        run(&model, from: machine.stop())
    }

    /// Reports a failure at the current step and returns what follows.
    mutating func fail() -> BatchProtocol.Action {
        machine.failed(reason: "connection reset")
    }

    /// What the broker redelivers to the next process: the unacked bodies,
    /// in delivery order.
    var redelivered: [Body] {
        unacked.sorted { $0.key < $1.key }.map(\.value)
    }

    private var pendingAnswers: [ApplyResult] = []

    private mutating func deliver(_ body: Body) -> BatchProtocol.Delivery {
        defer { nextTag += 1 }
        unacked[nextTag] = body
        return BatchProtocol.Delivery(tag: nextTag, body: body)
    }

    /// Acks everything up to the ack tag.
    private mutating func settle(_ ledger: BatchLedger) {
        guard let through = ledger.ackTag else { return }
        for tag in unacked.keys.sorted() where tag <= through {
            acked.append(unacked.removeValue(forKey: tag)!)
        }
    }
}
