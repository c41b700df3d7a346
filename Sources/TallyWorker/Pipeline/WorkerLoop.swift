import Logging
import TallyAMQP
import TallyCore
import TallyRedis

#if canImport(Glibc)
import Glibc
#endif

/// The batch pipeline of one worker, run on its own thread because
/// rabbitmq-c and hiredis block (DESIGN.md, "Inside the worker").
///
/// Each batch: take up to `maxSize` deliveries (or what arrived within
/// `maxWait`), validate, apply the valid ones with one pipelined Redis round
/// trip, publish every output and dead letter with confirms, wait for them,
/// forget the confirmed outcomes, then ack the batch with `multiple`.
/// On any connection failure everything is closed and reopened with capped
/// backoff; unacked deliveries return to the queue and are redelivered,
/// which the Function makes harmless (invariants 1, 3 and 6).
final class WorkerLoop {
    private let configuration: WorkerConfiguration
    private let logger: Logger
    private let stop: StopSignal
    private let validator: RecordValidator
    private let layout: RedisKeyLayout
    private var session: Session?
    private var ledger = BatchLedger()
    private(set) var statistics = WorkerStatistics()

    /// The connections of one uninterrupted stretch of work.
    private struct Session {
        let consumer: AMQPConnection
        let publisher: AMQPConnection
        let store: RecordStore
        var confirms = ConfirmTracker()
    }

    init(configuration: WorkerConfiguration, logger: Logger, stop: StopSignal) {
        self.configuration = configuration
        self.logger = logger
        self.stop = stop
        self.validator = RecordValidator(limits: configuration.limits)
        self.layout = RedisKeyLayout(prefix: configuration.keyPrefix)
    }

    /// Runs until a stop is requested; the batch in flight always completes.
    func run() {
        var failures = 0
        while !stop.isRequested {
            do {
                if session == nil {
                    session = try connect()
                    if failures > 0 { logger.info("reconnected; consuming again", metadata: ["after-failures": "\(failures)"]) }
                    failures = 0
                }
                try runBatch()
            } catch {
                failures += 1
                let delay = configuration.backoff.delayMilliseconds(afterFailures: failures)
                logger.warning(
                    "stopped consuming: \(error); retrying",
                    metadata: ["retry-in-ms": "\(delay)", "failures": "\(failures)"])
                disconnect()
                ledger.reset()
                pause(milliseconds: delay)
            }
        }
        disconnect()
        logger.info("stopped", metadata: statistics.metadata)
    }

    private func connect() throws -> Session {
        let redis = try RedisConnection(configuration.redis)
        let store = try RecordStore(connection: redis, layout: layout, dedup: configuration.dedup)
        let publisher = try AMQPConnection(configuration.broker)
        try configuration.topology.declare(on: publisher)
        try publisher.enableConfirms()
        let consumer = try AMQPConnection(configuration.broker)
        try consumer.setPrefetch(configuration.batch.prefetch)
        try consumer.consume(configuration.topology.workQueue)
        logger.info(
            "consuming",
            metadata: [
                "queue": "\(configuration.topology.workQueue)", "prefetch": "\(configuration.batch.prefetch)",
                "batch": "\(configuration.batch.maxSize)",
            ])
        return Session(consumer: consumer, publisher: publisher, store: store)
    }

    private func disconnect() {
        session?.consumer.close()
        session?.publisher.close()
        session = nil
    }

    // MARK: One batch

    private func runBatch() throws {
        guard var session else { return }
        defer { self.session = session }
        let deliveries = try gather(from: session.consumer)
        guard !deliveries.isEmpty else { return }

        // Validate; prepare the valid ones for Redis.
        var prepared: [PreparedRecord] = []
        var preparedIndex: [Int] = []
        var rejections: [Int: Rejection] = [:]
        for (index, delivery) in deliveries.enumerated() {
            switch validator.validate(delivery.body) {
            case .success(let record):
                prepared.append(PreparedRecord(record, alerts: configuration.alerts))
                preparedIndex.append(index)
            case .failure(let rejection):
                rejections[index] = rejection
            }
        }

        // Apply: one pipelined round trip.
        let results = try session.store.apply(prepared)
        var outcomes = [DeliveryOutcome](repeating: .duplicate, count: deliveries.count)
        for (index, rejection) in rejections { outcomes[index] = .deadLetter(rejection) }
        for (position, result) in results.enumerated() {
            let index = preparedIndex[position]
            outcomes[index] = DeliveryOutcome(result, record: prepared[position].record, redelivered: deliveries[index].redelivered)
        }
        ledger.reset()
        for (delivery, outcome) in zip(deliveries, outcomes) {
            ledger.record(deliveryTag: delivery.deliveryTag, body: delivery.body, outcome: outcome)
        }

        // Publish everything, then wait for the broker to take it.
        try publish(ledger.messagesToPublish, on: &session)
        try session.store.forget(ledger.confirmedOutputs)
        for tag in ledger.requeueTags { try session.consumer.reject(tag, requeue: true) }
        if let tag = ledger.ackTag { try session.consumer.ack(tag, multiple: true) }
        statistics.count(ledger)
        logBatch(ledger)
    }

    /// Waits briefly for a first delivery, then collects until the batch is
    /// full or `maxWait` has passed since the first one arrived.
    private func gather(from consumer: AMQPConnection) throws -> [AMQPDelivery] {
        guard let first = try consumer.nextDelivery(timeoutMilliseconds: 200) else { return [] }
        var deliveries = [first]
        deliveries.reserveCapacity(configuration.batch.maxSize)
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(configuration.batch.maxWaitMilliseconds))
        while deliveries.count < configuration.batch.maxSize {
            let remaining = ContinuousClock.now.duration(to: deadline)
            let milliseconds = max(0, Int(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000))
            guard let next = try consumer.nextDelivery(timeoutMilliseconds: milliseconds) else { break }
            deliveries.append(next)
        }
        return deliveries
    }

    private func publish(_ messages: [BatchLedger.Message], on session: inout Session) throws {
        let topology = configuration.topology
        for message in messages {
            switch message {
            case .notification(let outputs):
                try session.publisher.publish(
                    AMQPOutgoing(exchange: topology.notificationsExchange, routingKey: outputs.destinationId, messageId: outputs.recordId),
                    body: Array(outputs.notification.utf8))
            case .alert(let outputs):
                try session.publisher.publish(
                    AMQPOutgoing(exchange: topology.alertsExchange, routingKey: outputs.destinationId, messageId: outputs.recordId),
                    body: Array((outputs.alert ?? "").utf8))
            case .deadLetter(let body, let rejection):
                try session.publisher.publish(
                    AMQPOutgoing(
                        exchange: topology.deadExchange, routingKey: topology.workQueue, contentType: nil,
                        headers: DeadLetterHeaders.headers(for: rejection, replays: nil)),
                    body: body)
            }
            session.confirms.published()
        }
        try awaitConfirms(on: &session)
    }

    private func awaitConfirms(on session: inout Session) throws {
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(configuration.batch.confirmTimeoutMilliseconds))
        while !session.confirms.isSettled {
            if ContinuousClock.now >= deadline {
                throw AMQPError(.timeout, "\(session.confirms.outstanding.count) publishes unconfirmed after \(configuration.batch.confirmTimeoutMilliseconds) ms")
            }
            if let confirm = try session.publisher.nextConfirm(timeoutMilliseconds: 100) {
                session.confirms.received(confirm.isAck ? .ack : .nack, deliveryTag: confirm.deliveryTag, multiple: confirm.multiple)
            }
        }
        if !session.confirms.nacked.isEmpty {
            let count = session.confirms.nacked.count
            session.confirms.clearNacks()
            throw AMQPError(.refused, "the broker refused \(count) publishes; the batch will be redelivered")
        }
    }

    private func logBatch(_ ledger: BatchLedger) {
        for entry in ledger.entries {
            switch entry.outcome {
            case .deadLetter(let rejection):
                logger.notice("dead-lettered", metadata: ["reason": "\(rejection.reason.rawValue)", "detail": "\(rejection.description)"])
            case .requeue(let reason):
                logger.error("requeued after a Redis error", metadata: ["error": "\(reason)", "delivery-tag": "\(entry.deliveryTag)"])
            default:
                break
            }
        }
        logger.debug("batch done", metadata: ["size": "\(ledger.count)"])
    }

    /// Sleeps in short steps so a stop request is noticed quickly.
    private func pause(milliseconds: Int) {
        var left = milliseconds
        while left > 0 && !stop.isRequested {
            let step = min(left, 50)
            usleep(UInt32(step * 1000))
            left -= step
        }
    }
}
