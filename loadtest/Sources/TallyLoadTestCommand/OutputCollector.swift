import Foundation
import Synchronization
import TallyAMQPClient
import TallyBroker
import TallyLoadTest
import TallyWorker

/// Consumes the run's three output queues on one connection, on its own
/// thread (rabbitmq-c is blocking), into ``Observations``. It decides
/// when every expected output has arrived, then keeps listening for
/// `settle` so that late extra copies are seen too.
final class OutputCollector: Sendable {
    struct Expectation: Sendable {
        var notifications: Int
        var deadLetters: Int
        var alertsAtLeast: Int
    }

    struct Result: Sendable {
        var observations: Observations
        var series: ThroughputSeries
        /// When the last expected output arrived (0: never).
        var completeAtNanos: UInt64
        var error: String?
    }

    static let alertGraceNanos: UInt64 = 5_000_000_000
    private let done = DispatchSemaphore(value: 0)
    private let result: Mutex<Result?> = Mutex(nil)

    /// Starts consuming; `plan` and everything else are copied into the thread.
    init(
        endpoint: AMQPEndpoint, topology: Topology, queues: OutputQueues, outputsOnly: Bool, plan: LoadPlan,
        expectation: Expectation, settleMilliseconds: Int, clock: RunClock, counters: LiveCounters
    ) {
        let thread = Thread { [self] in
            var observations = Observations(slots: plan.messageCount)
            var series = ThroughputSeries()
            var completeAt: UInt64 = 0
            var failure: String?
            do {
                let connection = try AMQPConnection(endpoint)
                try connection.setPrefetch(2_000)
                try connection.consume(queues.notifications)
                if !outputsOnly {
                    try connection.consume(queues.alerts)
                    try connection.consume(queues.dead)
                }
                var unacked = 0
                var lastTag: UInt64 = 0
                var outputsAt: UInt64 = 0  // every notification and dead letter in
                var lastOutputAt: UInt64 = 0
                while !counters.stop.load(ordering: .relaxed) {
                    let now = clock.nanos
                    if outputsAt == 0, observations.uniqueNotifications >= expectation.notifications,
                        observations.uniqueDeadLetters >= expectation.deadLetters
                    {
                        outputsAt = lastOutputAt
                    }
                    // Alerts travel with their notifications; the ones still
                    // missing a few seconds later are missing (verification
                    // says so) rather than worth the whole timeout.
                    if completeAt == 0, outputsAt != 0,
                        observations.alertsReceived >= expectation.alertsAtLeast || now > outputsAt + Self.alertGraceNanos
                    {
                        completeAt = outputsAt
                        counters.completeAtNanos.store(outputsAt, ordering: .relaxed)
                    }
                    if completeAt != 0, now > max(completeAt, lastOutputAt) + UInt64(settleMilliseconds) * 1_000_000 { break }
                    guard let delivery = try connection.nextDelivery(timeoutMilliseconds: 50) else {
                        if unacked > 0 {
                            try connection.ack(lastTag, multiple: true)
                            unacked = 0
                        }
                        continue
                    }
                    let received = clock.nanos
                    switch delivery.exchange {
                    case topology.notificationsExchange:
                        observations.notification(messageId: delivery.messageId, body: delivery.body, atNanos: received, plan: plan)
                        series.recordOutput(atNanos: received)
                        lastOutputAt = received
                        counters.notifications.add(1, ordering: .relaxed)
                    case topology.alertsExchange:
                        observations.alert(messageId: delivery.messageId, plan: plan)
                        counters.alerts.add(1, ordering: .relaxed)
                    default:
                        let reason = delivery.headers[DeadLetterHeaders.reason]?.string
                            ?? DeadLetterHeaders.describe(delivery.headers).reason
                        observations.deadLetter(
                            body: delivery.body, reason: reason, field: delivery.headers[DeadLetterHeaders.field]?.string, plan: plan)
                        series.recordOutput(atNanos: received)
                        lastOutputAt = received
                        counters.deadLetters.add(1, ordering: .relaxed)
                    }
                    lastTag = delivery.deliveryTag
                    unacked += 1
                    if unacked >= 500 {
                        try connection.ack(lastTag, multiple: true)
                        unacked = 0
                    }
                }
                if unacked > 0 { try connection.ack(lastTag, multiple: true) }
            } catch {
                failure = "consuming the outputs: \(error)"
            }
            self.result.withLock { $0 = Result(observations: observations, series: series, completeAtNanos: completeAt, error: failure) }
            self.done.signal()
        }
        thread.start()
    }

    /// Waits for the collector to finish (it stops on its own once complete
    /// and settled, or when `counters.stop` is set).
    func wait() -> Result {
        done.wait()
        return result.withLock { $0! }
    }

    /// Waits at most `seconds`; nil when still running.
    func wait(seconds: Double) -> Result? {
        guard done.wait(timeout: .now() + seconds) == .success else { return nil }
        return result.withLock { $0 }
    }
}
