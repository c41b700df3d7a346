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
/// Every batch goes through the same steps in the same order — gather up to
/// `maxSize` deliveries (or what arrived within `maxWait`), validate, apply
/// the valid ones in one Redis transaction, publish every output and dead
/// letter, wait for the broker's confirms, forget the confirmed outcomes,
/// ack with `multiple` — and two batches overlap: while the broker confirms
/// batch N, Redis applies batch N+1. Each batch is acked only after its own
/// outputs are confirmed, so the overlap changes nothing a crash can see.
/// On any failure everything is closed and reopened with capped backoff;
/// unacked deliveries return to the queue and are redelivered, which the
/// Function makes harmless (invariants 1, 3 and 6).
final class WorkerLoop {
    private let configuration: WorkerConfiguration
    private let logger: Logger
    private let stop: StopSignal
    private let validator: RecordValidator
    private let layout: RedisKeyLayout
    private var session: Session?
    /// The batch whose outputs are published and whose confirms are awaited.
    private var published: BatchLedger?
    private(set) var statistics = WorkerStatistics()
    private var faultHooks = FaultHooks()
    private let metrics: WorkerMetrics
    private let readiness: WorkerReadiness
    /// Deliveries received and not yet acked or requeued (the in-flight gauge).
    private var unacked = 0
    /// Numbers the batches of this process, for the logs.
    private var batchNumber = 0

    /// The connections of one uninterrupted stretch of work.
    private struct Session {
        let consumer: AMQPConnection
        let publisher: AMQPConnection
        let store: RecordStore
        var confirms = ConfirmTracker()
    }

    init(
        configuration: WorkerConfiguration, logger: Logger, stop: StopSignal,
        metrics: WorkerMetrics = WorkerMetrics(), readiness: WorkerReadiness = WorkerReadiness()
    ) {
        self.configuration = configuration
        self.logger = logger
        self.stop = stop
        self.metrics = metrics
        self.readiness = readiness
        self.statistics.metrics = metrics
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
                    if failures > 0 {
                        metrics.reconnects.increment()
                        logger.info("reconnected; consuming again", metadata: ["after-failures": "\(failures)"])
                    }
                    failures = 0
                }
                try runBatch()
            } catch {
                failures += 1
                metrics.failures.increment()
                let delay = configuration.backoff.delayMilliseconds(afterFailures: failures)
                logger.warning(
                    "stopped consuming: \(error); retrying",
                    metadata: ["retry-in-ms": "\(delay)", "failures": "\(failures)"])
                disconnect()
                pause(milliseconds: delay)
            }
        }
        do {
            try finishPublishedBatch()
        } catch {
            logger.warning("could not finish the last batch: \(error); it will be redelivered")
        }
        disconnect()
        logger.info("stopped", metadata: statistics.metadata)
    }

    private func connect() throws -> Session {
        let redis = try RedisConnection(configuration.redis)
        let store = try RecordStore(connection: redis, layout: layout, dedup: configuration.dedup)
        markConnections(redis: true)
        let publisher = try AMQPConnection(configuration.broker)
        try configuration.topology.declare(on: publisher)
        try publisher.enableConfirms()
        let consumer = try AMQPConnection(configuration.broker)
        try consumer.setPrefetch(configuration.batch.prefetch)
        try consumer.consume(configuration.topology.workQueue)
        markConnections(broker: true)
        logger.info(
            "consuming",
            metadata: [
                "queue": "\(configuration.topology.workQueue)", "prefetch": "\(configuration.batch.prefetch)",
                "batch": "\(configuration.batch.maxSize)",
                // Where, with passwords masked: a log never carries a secret.
                "broker": "\(configuration.broker.redactedURL)", "redis": "\(configuration.redis.redactedURL)",
            ])
        return Session(consumer: consumer, publisher: publisher, store: store)
    }

    /// Readiness follows the connections: both up is ready, either lost is not.
    private func markConnections(broker: Bool? = nil, redis: Bool? = nil) {
        readiness.set(broker: broker, redis: redis)
        metrics.ready.set(readiness.isReady ? 1 : 0)
    }

    private func disconnect() {
        markConnections(broker: false, redis: false)
        published = nil  // unacked: the broker redelivers it
        unacked = 0
        metrics.inFlight.set(0)
        session?.consumer.close()
        session?.publisher.close()
        session = nil
    }

    // MARK: One turn of the pipeline

    /// Gathers and applies batch N+1 while batch N (published last turn) is
    /// confirmed; then acks N and publishes N+1.
    private func runBatch() throws {
        guard var session else { return }
        defer { self.session = session }
        let deliveries = try statistics.time(.gather) {
            try gather(from: session.consumer, firstWaitMilliseconds: published == nil ? 200 : 0)
        }
        if deliveries.isEmpty && published == nil {
            // Idle: the consumer's wait above kept its heartbeats; the
            // publisher's need a call too, or the broker drops it.
            try session.publisher.keepAlive()
            return
        }
        if !deliveries.isEmpty {
            metrics.consumed.increment(by: Int64(deliveries.count))
            metrics.batchSize.record(deliveries.count)
            unacked += deliveries.count
            metrics.inFlight.set(unacked)
        }

        var prepared: [PreparedRecord] = []
        var preparedIndex: [Int] = []
        var rejections: [Int: Rejection] = [:]
        statistics.time(.validate) {
            for (index, delivery) in deliveries.enumerated() {
                switch validator.validate(delivery.body) {
                case .success(let record):
                    prepared.append(PreparedRecord(record, alerts: configuration.alerts))
                    preparedIndex.append(index)
                case .failure(let rejection):
                    rejections[index] = rejection
                }
            }
        }

        // Redis starts on N+1 …
        if !prepared.isEmpty { try statistics.time(.apply) { try session.store.sendApply(prepared) } }
        // … while the broker confirms N, which is then forgotten and acked.
        let finishing = published
        let forgetting = finishing?.confirmedOutputs ?? []
        if finishing != nil {
            try statistics.time(.confirm) { try awaitConfirms(on: &session) }
            try session.store.sendForget(forgetting)
        }
        let results = prepared.isEmpty ? [] : try statistics.time(.apply) { try session.store.receiveApplied(count: prepared.count) }
        if !prepared.isEmpty { faultHooks.reached(.afterApply, logger: logger) }
        if let finishing {
            try statistics.time(.forget) { try session.store.receiveForgotten(count: forgetting.count) }
            faultHooks.reached(.afterConfirm, logger: logger)
            try acknowledge(finishing, on: session)
            published = nil
        }
        guard !deliveries.isEmpty else { return }

        var outcomes = [DeliveryOutcome](repeating: .duplicate, count: deliveries.count)
        for (index, rejection) in rejections { outcomes[index] = .deadLetter(rejection) }
        // Redis applied N+1 before N's forget landed, so a producer duplicate
        // of a record of N comes back `pending` although N's notification was
        // just confirmed: it is a duplicate, and re-publishing it would send
        // that record's notification twice (DESIGN.md, invariant 3).
        var confirmedInN: Set<String>?
        for (position, result) in results.enumerated() {
            let index = preparedIndex[position]
            let record = prepared[position].record
            if case .pending = result, !forgetting.isEmpty {
                if confirmedInN == nil { confirmedInN = Set(forgetting.lazy.map(\.recordId)) }
                if confirmedInN!.contains(record.recordId) { continue }  // stays .duplicate
            }
            outcomes[index] = DeliveryOutcome(result, record: record)
        }
        var ledger = BatchLedger()
        for (delivery, outcome) in zip(deliveries, outcomes) {
            ledger.record(
                deliveryTag: delivery.deliveryTag, body: delivery.body, outcome: outcome,
                replays: delivery.headers[DeadLetterHeaders.replayCount]?.integer ?? 0)
        }
        try statistics.time(.publish) { try publish(ledger.messagesToPublish, on: &session) }
        published = ledger
    }

    /// Confirms, forgets and acks the batch in flight (at stop).
    private func finishPublishedBatch() throws {
        guard var session, let finishing = published else { return }
        defer { self.session = session }
        try awaitConfirms(on: &session)
        let forgetting = finishing.confirmedOutputs
        try session.store.sendForget(forgetting)
        try session.store.receiveForgotten(count: forgetting.count)
        try acknowledge(finishing, on: session)
        published = nil
    }

    /// Requeues the deliveries that failed alone, then acks the rest at once.
    private func acknowledge(_ ledger: BatchLedger, on session: Session) throws {
        try statistics.time(.ack) {
            for tag in ledger.requeueTags { try session.consumer.reject(tag, requeue: true) }
            if let tag = ledger.ackTag { try session.consumer.ack(tag, multiple: true) }
        }
        statistics.count(ledger)
        unacked = max(0, unacked - ledger.count)
        metrics.inFlight.set(unacked)
        logBatch(ledger)
    }

    /// Waits up to `firstWaitMilliseconds` for a first delivery, then
    /// collects until the batch is full or `maxWait` has passed since.
    private func gather(from consumer: AMQPConnection, firstWaitMilliseconds: Int) throws -> [AMQPDelivery] {
        guard let first = try consumer.nextDelivery(timeoutMilliseconds: firstWaitMilliseconds) else { return [] }
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
                    text: outputs.notification)
            case .alert(let outputs):
                try session.publisher.publish(
                    AMQPOutgoing(exchange: topology.alertsExchange, routingKey: outputs.destinationId, messageId: outputs.recordId),
                    text: outputs.alert ?? "")
            case .deadLetter(let body, let rejection, let replays):
                try session.publisher.publish(
                    AMQPOutgoing(
                        exchange: topology.deadExchange, routingKey: topology.workQueue, contentType: nil,
                        headers: DeadLetterHeaders.headers(for: rejection, replays: replays > 0 ? replays : nil)),
                    body: body)
            }
            session.confirms.published()
        }
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
        batchNumber += 1
        let batch: Logger.MetadataValue = "\(batchNumber)"
        for entry in ledger.entries {
            switch entry.outcome {
            case .deadLetter(let rejection):
                var metadata: Logger.Metadata = [
                    "batch": batch, "delivery-tag": "\(entry.deliveryTag)",
                    "reason": "\(rejection.reason.rawValue)", "detail": "\(rejection.description)",
                ]
                if let field = rejection.field { metadata["field"] = "\(field)" }
                logger.notice("dead-lettered", metadata: metadata)
            case .requeue(let reason):
                logger.error(
                    "requeued after a Redis error",
                    metadata: ["batch": batch, "error": "\(reason)", "delivery-tag": "\(entry.deliveryTag)"])
            case .publish(let outputs):
                logger.trace(
                    "processed",
                    metadata: ["batch": batch, "record-id": "\(outputs.recordId)", "destination-id": "\(outputs.destinationId)"])
            case .duplicate:
                logger.trace("duplicate", metadata: ["batch": batch, "delivery-tag": "\(entry.deliveryTag)"])
            }
        }
        logger.debug("batch done", metadata: ["batch": batch, "size": "\(ledger.count)"])
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
