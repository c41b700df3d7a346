import ArgumentParser
import Foundation
import Synchronization
import TallyAMQP
import TallyWorker

/// End-to-end throughput of the running fleet: publish N fresh records with
/// confirms while a tap queue counts their notifications. The clock runs
/// from the first publish to the last notification received, so it covers
/// publish → apply → notification confirmed → input acked.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure end-to-end throughput of the running workers.")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Records to publish.") var records = 20_000
    @Option(help: "Distinct destinationIds.") var destinations = 100
    @Option(help: "Distinct references per destination.") var references = 10
    @Option(help: "Seconds to wait for the last notification.") var timeout = 300
    @Flag(help: "Measure the broker-only baseline instead: a relay in this process does the workers' broker traffic and nothing else. Stop the workers first.")
    var baseline = false

    func run() async throws {
        let settings = try await connection.load()
        let queue = "tally.bench.notifications"
        let setup = try AMQPConnection(settings.broker)
        try settings.topology.declare(on: setup)
        try setup.declareQueue(queue, arguments: [("x-queue-type", .string("quorum"))])
        try setup.bindQueue(queue, exchange: settings.topology.notificationsExchange, routingKey: "#")
        try setup.purgeQueue(queue)

        let run = String(UInt64.random(in: 0..<UInt64.max), radix: 36)
        let expected = records
        let received = Mutex<(count: Int, last: ContinuousClock.Instant?, error: String?)>((0, nil, nil))
        let done = DispatchSemaphore(value: 0)
        let endpoint = settings.broker
        let waitSeconds = timeout
        let counter = Thread {
            defer { done.signal() }
            do {
                let consumer = try AMQPConnection(endpoint)
                try consumer.setPrefetch(2_000)
                try consumer.consume(queue)
                let deadline = ContinuousClock.now.advanced(by: .seconds(waitSeconds))
                var count = 0
                while count < expected && ContinuousClock.now < deadline {
                    guard let delivery = try consumer.nextDelivery(timeoutMilliseconds: 200) else { continue }
                    if delivery.messageId?.hasPrefix(run) == true { count += 1 }
                    if count % 500 == 0 || count == expected { try consumer.ack(delivery.deliveryTag, multiple: true) }
                    let now = ContinuousClock.now
                    received.withLock { $0.count = count; $0.last = now }
                }
            } catch {
                received.withLock { $0.error = "\(error)" }
            }
        }
        counter.start()
        let finished = Mutex(false)
        if baseline {
            let topology = settings.topology
            let relay = Thread {
                do {
                    let relay = try BrokerRelay(endpoint: endpoint, topology: topology)
                    _ = try relay.run(until: { finished.withLock { $0 } })
                } catch {
                    received.withLock { $0.error = "baseline relay: \(error)" }
                    done.signal()
                }
            }
            relay.start()
        }
        defer { finished.withLock { $0 = true } }

        let publisher = try ConfirmedPublisher(endpoint: settings.broker, window: 2_000)
        let started = ContinuousClock.now
        for index in 0..<records {
            let destination = "bench-\(index % destinations)"
            let body = Array(
                """
                {"recordId":"\(run)-\(index)","time":"2026-11-21T10:00:00Z","sourceId":"bench","destinationId":"\(destination)","type":"\(index % 3 == 0 ? "negative" : "positive")","value":"\(index % 997).\(index % 100)","unit":"EUR","reference":"ref-\(index % references)"}
                """.utf8)
            try publisher.publish(
                AMQPOutgoing(exchange: settings.topology.recordsExchange, routingKey: "bench", messageId: "\(run)-\(index)"),
                body: body)
        }
        try publisher.flush()
        let published = ContinuousClock.now
        progress("published \(records) in \(Self.seconds(published - started)) s; waiting for notifications…")
        while done.wait(timeout: .now() + 2) == .timedOut {
            progress("  \(received.withLock { $0.count }) / \(records) notifications")
        }
        let result = received.withLock { $0 }
        if let error = result.error { throw ValidationError("counting notifications failed: \(error)") }
        guard result.count == records, let last = result.last else {
            throw ValidationError("only \(result.count) of \(records) notifications arrived within \(timeout) s")
        }
        let elapsed = Self.seconds(last - started)
        let rate = Double(records) / elapsed
        print("\(baseline ? "baseline" : "tally") records: \(records)  end-to-end: \(String(format: "%.2f", elapsed)) s  throughput: \(Int(rate)) records/s")
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
