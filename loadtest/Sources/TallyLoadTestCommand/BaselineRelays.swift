import Foundation
import Synchronization
import TallyAMQPClient
import TallyBroker
import TallyWorker

/// The broker-only baseline: `BrokerRelay`s (consume the work queue,
/// publish one persistent message per delivery with confirms, ack with
/// `multiple`, nothing else) on a private topology of their own, so no
/// worker ever sees the baseline's messages and the baseline never sees
/// theirs.
final class BaselineRelays: Sendable {
    let topology: Topology
    private let stopFlag = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let failure = Mutex<String?>(nil)
    private let count: Int

    static func topology(runId: String) -> Topology {
        var topology = Topology()
        let base = "tally.loadtest.\(runId).baseline"
        topology.recordsExchange = "\(base).records"
        topology.workQueue = "\(base).work"
        topology.deadExchange = "\(base).dead"
        topology.deadQueue = "\(base).dead"
        topology.notificationsExchange = "\(base).notifications"
        topology.alertsExchange = "\(base).alerts"
        return topology
    }

    /// `bodyBytes`: each relayed body padded to at least this size (``BrokerRelay``).
    init(endpoint: AMQPEndpoint, runId: String, relays: Int, bodyBytes: Int = 0) {
        topology = Self.topology(runId: runId)
        count = relays
        for _ in 0..<relays {
            Thread { [self] in
                do {
                    let relay = try BrokerRelay(endpoint: endpoint, topology: self.topology, bodyBytes: bodyBytes)
                    _ = try relay.run(until: { self.stopFlag.load(ordering: .relaxed) })
                } catch {
                    self.failure.withLock { $0 = "baseline relay: \(error)" }
                }
                self.finished.signal()
            }.start()
        }
    }

    /// Stops the relays, deletes the private queues; returns a relay's error, if any.
    func stop(endpoint: AMQPEndpoint) -> String? {
        stopFlag.store(true, ordering: .relaxed)
        for _ in 0..<count { finished.wait() }
        if let connection = try? AMQPConnection(endpoint) {
            try? connection.deleteQueue(topology.workQueue)
            try? connection.deleteQueue(topology.deadQueue)
        }
        return failure.withLock { $0 }
    }
}
