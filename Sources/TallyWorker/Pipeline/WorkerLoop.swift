import Glibc
import Logging
import TallyAMQPClient
import TallyBroker
import TallyCore
import TallyRedisClient
import TallyRuntime
import TallyStore

/// The IO side of one worker: it owns the broker and Redis connections and
/// performs, one by one, the actions ``BatchProtocol`` asks for, reporting
/// each result back to it. What to apply, publish, forget, ack or reject —
/// and in which order — is decided there, not here.
///
/// Runs on its own thread (``BlockingLoopService``): rabbitmq-c and hiredis
/// block and are not thread-safe. On any failure the connections are closed
/// (the unacked deliveries return to the queue) and made again after the
/// protocol's capped backoff; the Function makes the redelivery harmless.
final class WorkerLoop {
    private let configuration: WorkerConfiguration
    private let logger: Logger
    private let stop: StopSignal
    private let layout: RedisKeyLayout
    private var machine: BatchProtocol
    private var session: Session?
    private(set) var statistics = WorkerStatistics()
    private var faultHooks = FaultHooks()
    private let metrics: WorkerMetrics
    private let readiness: WorkerReadiness
    /// Deliveries received and not yet acked (the in-flight gauge).
    private var unacked = 0
    /// Numbers the batches of this process, for the logs.
    private var batchNumber = 0
    /// The apply of a batch is sent and received in two actions; its two
    /// halves make one sample of the `apply` stage.
    private var applyTime = Duration.zero
    /// The publisher's sequence number of each message of the last publish
    /// action, by position (0: refused before a byte was sent): confirms
    /// name sequence numbers, the protocol positions. An array reused from
    /// batch to batch: nothing is hashed or allocated per message, and it
    /// is only searched when the broker nacked something.
    private var sequences: [UInt64] = []
    /// Redis replicas that acknowledged the writes of the batch about to be
    /// published (nil: no wait configured).
    private var replicasAcknowledged: Int?
    /// The route the log last named (``RecordStore/applyRoute``), so that a
    /// change is logged once.
    private var loggedApplyRoute: ApplyRoute?

    /// The connections of one uninterrupted stretch of work.
    private struct Session {
        let consumer: AMQPConnection
        var publisher: ConfirmedPublisher
        let store: RecordStore
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
        self.layout = RedisKeyLayout(prefix: configuration.keyPrefix)
        self.machine = BatchProtocol(
            validator: RecordValidator(limits: configuration.limits), alerts: configuration.alerts,
            backoff: configuration.backoff)
    }

    /// Runs until a stop is requested; the batch in flight always completes.
    func run() {
        var action = stop.isRequested ? machine.stop() : machine.nextTurn()
        while true {
            switch action {
            case .stopped:
                disconnect()
                logger.info("stopped", metadata: statistics.metadata)
                return
            case .turnFinished:
                action = stop.isRequested ? machine.stop() : machine.nextTurn()
            case .reconnect(let delay, let reason):
                metrics.failures.increment()
                logger.warning(
                    "stopped consuming: \(reason); retrying",
                    metadata: ["retry-in-ms": "\(delay)", "failures": "\(machine.consecutiveFailures)"])
                disconnect()
                stop.sleep(milliseconds: delay)
                action = stop.isRequested ? machine.stop() : machine.nextTurn()
            default:
                do {
                    action = try perform(action)
                } catch {
                    action = machine.failed(reason: "\(error)")
                    if action == .stopped {
                        logger.warning("could not finish the last batch: \(error); it will be redelivered")
                    }
                }
            }
        }
    }

    /// Performs one action of the protocol; returns the next one.
    private func perform(_ action: BatchProtocol.Action) throws -> BatchProtocol.Action {
        let session = try connectedSession()
        switch action {
        case .gather(let firstWait):
            let deliveries = try statistics.time(.gather) { try gather(from: session.consumer, firstWaitMilliseconds: firstWait) }
            if !deliveries.isEmpty {
                metrics.consumed.increment(by: Int64(deliveries.count))
                metrics.batchSize.record(deliveries.count)
                unacked += deliveries.count
                metrics.inFlight.set(unacked)
            }
            return statistics.time(.validate) { machine.gathered(deliveries) }
        case .keepAlive:
            // The consumer's wait kept its heartbeats; the publisher's need a call too.
            try session.publisher.connection.keepAlive()
            return machine.keptAlive()
        case .sendApply(let records):
            try timeApply { try session.store.sendApply(records) }
            if session.store.applyRoute != loggedApplyRoute { logApplyRoute(session.store) }
            return machine.applySent()
        case .awaitConfirms:
            let nacked = try statistics.time(.confirm) {
                try session.publisher.flush(timeoutMilliseconds: configuration.batch.confirmTimeoutMilliseconds)
            }
            var positions: [Int] = []
            if !nacked.isEmpty {
                let refused = Set(nacked)
                positions = sequences.indices.filter { sequences[$0] != 0 && refused.contains(sequences[$0]) }
            }
            return machine.confirmed(nacked: positions)
        case .sendForget(let outputs):
            try session.store.sendForget(outputs)
            return machine.forgetSent()
        case .receiveApplied(let count):
            let results = try timeApply { try session.store.receiveApplied(count: count) }
            replicasAcknowledged = try timeApply { try session.store.receiveReplicaAcknowledgement() }
            statistics.record(.apply, applyTime)
            applyTime = .zero
            faultHooks.reached(.afterApply, logger: logger)
            return machine.applied(results)
        case .receiveForgotten(let count):
            try statistics.time(.forget) { try session.store.receiveForgotten(count: count) }
            return machine.forgotten()
        case .settle(let ledger):
            faultHooks.reached(.afterConfirm, logger: logger)
            try acknowledge(ledger, on: session.consumer)
            return machine.settled()
        case .publish(let messages):
            try holdUntilReplicated(session)
            let unsent = try statistics.time(.publish) { try publish(messages, with: session.publisher) }
            return machine.published(unsent: unsent)
        case .republish(let messages, let delay, let attempt):
            metrics.republished.increment(by: Int64(messages.count))
            logger.warning(
                "the broker refused outputs (basic.nack); publishing them again",
                metadata: ["outputs": "\(messages.count)", "attempt": "\(attempt)", "in-ms": "\(delay)"])
            // Not cut short by a stop: the batch in flight is finishing.
            usleep(UInt32(delay) * 1_000)
            let publisher = try reopenPublisher()
            let unsent = try statistics.time(.publish) { try publish(messages, with: publisher) }
            return machine.published(unsent: unsent)
        case .turnFinished, .reconnect, .stopped:
            preconditionFailure("\(action) is handled by run()")
        }
    }

    private func timeApply<T>(_ work: () throws -> T) rethrows -> T {
        let start = ContinuousClock.now
        defer { applyTime += ContinuousClock.now - start }
        return try work()
    }

    /// Holds a batch's outputs back until `redis.waitReplicas` replicas hold
    /// its writes (``ReplicaAcknowledgement``): `WAIT` again, each time up to
    /// `redis.waitTimeoutMs`, counting and saying so, until they do or a stop
    /// is requested (the batch is then redelivered; its outcomes stay
    /// pending). Nothing is published, so nothing is acked, meanwhile: the
    /// fleet slows down instead of acting on writes a failover could lose.
    /// Waiting here keeps the deliveries (a failed batch would be
    /// redelivered and count against `topology.deliveryLimit` each time);
    /// only a wait longer than two heartbeats drops the connections.
    private func holdUntilReplicated(_ session: Session) throws {
        guard var acknowledged = replicasAcknowledged else { return }
        replicasAcknowledged = nil
        let required = session.store.requiredReplicas
        guard acknowledged < required else { return }
        let start = ContinuousClock.now
        logger.warning(
            "Redis replicas are lagging: holding the batch's outputs back until they hold its writes",
            metadata: ["acknowledged": "\(acknowledged)", "required": "\(required)",
                       "wait-ms": "\(configuration.replicaAcknowledgement.timeoutMilliseconds)"])
        while acknowledged < required {
            metrics.replicaWaitTimeouts.increment()
            if stop.isRequested {
                throw ReplicasLagging(acknowledged: acknowledged, required: required)
            }
            acknowledged = try session.store.waitForReplicas()
        }
        let held = (ContinuousClock.now - start).components
        logger.info(
            "Redis replicas caught up; publishing the held-back batch",
            metadata: ["held-ms": "\(held.seconds * 1000 + held.attoseconds / 1_000_000_000_000_000)"])
    }

    /// Which implementation applies the batches now: the tally module in
    /// Redis, or the Function (no module, layout 3 or its window, or a
    /// decline in the last ten minutes).
    private func logApplyRoute(_ store: RecordStore) {
        loggedApplyRoute = store.applyRoute
        logger.info(
            "Redis applies batches through \(store.applyRoute)",
            metadata: ["apply-route": "\(store.applyRoute.rawValue)", "layout": "\(store.storeLayout.rawValue)"])
    }

    /// A stop requested while a batch waits for replicas.
    private struct ReplicasLagging: Error, CustomStringConvertible {
        let acknowledged: Int
        let required: Int
        var description: String {
            "stopping while Redis replicas lag (\(acknowledged) of \(required) acknowledged); the batch will be redelivered"
        }
    }

    // MARK: Connections

    private func connectedSession() throws -> Session {
        if let session { return session }
        let redis = try RedisConnection(configuration.redis)
        let store = try RecordStore(
            connection: redis, layout: layout, bucketSeconds: configuration.dedup.bucketSeconds,
            buckets: configuration.dedup.buckets, aheadSeconds: configuration.dedup.aheadSeconds,
            replicaAcknowledgement: configuration.replicaAcknowledgement)
        markConnections(redis: true)
        let publishing = try AMQPConnection(configuration.broker)
        try configuration.topology.declare(on: publishing)
        let publisher = try ConfirmedPublisher(connection: publishing)
        let consumer = try AMQPConnection(configuration.broker)
        try consumer.setPrefetch(configuration.batch.prefetch)
        try consumer.consume(configuration.topology.workQueue)
        markConnections(broker: true)
        if machine.consecutiveFailures > 0 {
            metrics.reconnects.increment()
            logger.info("reconnected; consuming again", metadata: ["after-failures": "\(machine.consecutiveFailures)"])
        }
        logger.info(
            "consuming",
            metadata: [
                "queue": "\(configuration.topology.workQueue)", "prefetch": "\(configuration.batch.prefetch)",
                "batch": "\(configuration.batch.maxSize)",
                // Where, with passwords masked: a log never carries a secret.
                "broker": "\(configuration.broker.redactedURL)", "broker-node": "\(consumer.address)",
                "redis": "\(configuration.redis.redactedURL)",
            ])
        let fresh = Session(consumer: consumer, publisher: publisher, store: store)
        session = fresh
        return fresh
    }

    /// Readiness follows the connections: both up is ready, either lost is not.
    private func markConnections(broker: Bool? = nil, redis: Bool? = nil) {
        readiness.set(broker: broker, redis: redis)
        metrics.ready.set(readiness.isReady ? 1 : 0)
    }

    /// A new publishing connection in place of the session's, whose
    /// publishes are all answered. After a broker node dies, a channel can
    /// go on routing to a quorum queue's old leader, and the broker nacks
    /// everything it publishes there, long after a new leader took over.
    private func reopenPublisher() throws -> ConfirmedPublisher {
        guard var current = session else { return try connectedSession().publisher }
        current.publisher.connection.close()
        sequences.removeAll(keepingCapacity: true)
        current.publisher = try ConfirmedPublisher(connection: try AMQPConnection(configuration.broker))
        session = current
        return current.publisher
    }

    private func disconnect() {
        markConnections(broker: false, redis: false)
        unacked = 0
        replicasAcknowledged = nil
        applyTime = .zero
        sequences.removeAll(keepingCapacity: true)
        metrics.inFlight.set(0)
        session?.consumer.close()
        session?.publisher.connection.close()
        session = nil
    }

    // MARK: Actions

    /// Waits up to `firstWaitMilliseconds` for a first delivery, then
    /// collects until the batch is full or `maxWait` has passed since.
    private func gather(from consumer: AMQPConnection, firstWaitMilliseconds: Int) throws -> [BatchProtocol.Delivery] {
        guard let first = try consumer.nextDelivery(timeoutMilliseconds: firstWaitMilliseconds) else { return [] }
        var deliveries = [Self.delivery(first)]
        deliveries.reserveCapacity(configuration.batch.maxSize)
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(configuration.batch.maxWaitMilliseconds))
        while deliveries.count < configuration.batch.maxSize {
            let remaining = ContinuousClock.now.duration(to: deadline)
            let milliseconds = max(0, Int(remaining / .milliseconds(1)))
            guard let next = try consumer.nextDelivery(timeoutMilliseconds: milliseconds) else { break }
            deliveries.append(Self.delivery(next))
        }
        return deliveries
    }

    private static func delivery(_ delivery: AMQPDelivery) -> BatchProtocol.Delivery {
        BatchProtocol.Delivery(
            tag: delivery.deliveryTag, body: delivery.body,
            replays: delivery.headers[DeadLetterHeaders.replayCount]?.integer ?? 0)
    }

    /// Publishes every message; returns the positions of those that AMQP
    /// cannot carry (``AMQPError/Code/unencodable``, refused before a byte
    /// was sent), with why. Any other failure is the connection's: thrown.
    private func publish(_ messages: [BatchLedger.Message], with publisher: ConfirmedPublisher) throws -> [Int: String] {
        var unsent: [Int: String] = [:]
        sequences.removeAll(keepingCapacity: true)
        try publisher.connection.withBatchedPublishes {
            for (position, message) in messages.enumerated() {
                do throws(AMQPError) {
                    sequences.append(try publishOne(message, with: publisher))
                } catch {
                    guard error.code == .unencodable else { throw error }
                    sequences.append(0)
                    unsent[position] = error.message
                }
            }
        }
        return unsent
    }

    /// One message, to its exchange; returns its publish sequence number.
    private func publishOne(_ message: BatchLedger.Message, with publisher: ConfirmedPublisher) throws(AMQPError) -> UInt64 {
        let topology = configuration.topology
        switch message {
        case .notification(let outputs):
            return try publisher.publish(
                AMQPOutgoing(exchange: topology.notificationsExchange, routingKey: outputs.destinationId, messageId: outputs.recordId),
                text: outputs.notification)
        case .alert(let outputs):
            return try publisher.publish(
                AMQPOutgoing(exchange: topology.alertsExchange, routingKey: outputs.destinationId, messageId: outputs.recordId),
                text: outputs.alert ?? "")
        case .deadLetter(let body, let rejection, let replays):
            let letter = DeadLetterHeaders.letter(body: body, rejection: rejection, replays: replays > 0 ? replays : nil)
            return try publisher.publish(
                AMQPOutgoing(exchange: topology.deadExchange, routingKey: topology.workQueue, contentType: nil, headers: letter.headers),
                body: Array(letter.body))
        }
    }

    /// Acks the whole batch at once: every delivery is settled by then.
    private func acknowledge(_ ledger: BatchLedger, on consumer: AMQPConnection) throws {
        try statistics.time(.ack) {
            if let tag = ledger.ackTag { try consumer.ack(tag, multiple: true) }
        }
        statistics.count(ledger)
        unacked = max(0, unacked - ledger.count)
        metrics.inFlight.set(unacked)
        logBatch(ledger)
    }

    private func logBatch(_ ledger: BatchLedger) {
        batchNumber += 1
        let batch: Logger.MetadataValue = "\(batchNumber)"
        // Each record is logged at trace level only, a dead letter always:
        // without either, the entries are not walked.
        if logger.logLevel <= .trace || ledger.tally.deadLetters > 0 {
            for entry in ledger.entries {
                switch entry.outcome {
                case .deadLetter(let rejection):
                    var metadata: Logger.Metadata = [
                        "batch": batch, "delivery-tag": "\(entry.deliveryTag)",
                        "reason": "\(rejection.reason.rawValue)", "detail": "\(rejection.description)",
                    ]
                    if let field = rejection.field { metadata["field"] = "\(field)" }
                    logger.notice("dead-lettered", metadata: metadata)
                case .publish(let outputs):
                    logger.trace(
                        "processed",
                        metadata: ["batch": batch, "record-id": "\(outputs.recordId)", "destination-id": "\(outputs.destinationId)"])
                case .duplicate:
                    logger.trace("duplicate", metadata: ["batch": batch, "delivery-tag": "\(entry.deliveryTag)"])
                }
            }
        }
        logger.debug("batch done", metadata: ["batch": batch, "size": "\(ledger.count)"])
    }
}
