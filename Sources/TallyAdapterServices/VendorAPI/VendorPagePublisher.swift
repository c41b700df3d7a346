import TallyAMQPClient
import TallyBroker
import TallyAdapters
import TallyCore

/// Publishes one page's outcome with publisher confirms: each mapped record
/// to the records exchange (routing key = sourceId, message_id = recordId),
/// each refused transaction to the dead-letter exchange with its reason.
/// Returns only when the broker confirmed every message; any nack or
/// timeout is an error, and the caller then does not advance the cursor.
/// Confined to the poller's thread.
final class VendorPagePublisher {
    private let configuration: VendorPollerConfiguration
    private var publisher: ConfirmedPublisher?

    init(configuration: VendorPollerConfiguration) {
        self.configuration = configuration
    }

    func publish(_ records: [VendorRecord], rejected: [VendorRejection]) throws(VendorPollerError) {
        let topology = configuration.connections.topology
        let routingKey = configuration.namespace.sourceId
        do {
            let publisher = try connected()
            let refusedBefore = publisher.refused
            for mapped in records {
                try publisher.publish(
                    AMQPOutgoing(exchange: topology.recordsExchange, routingKey: routingKey, messageId: mapped.record.recordId),
                    body: mapped.body)
            }
            for rejection in rejected {
                var headers: [(String, AMQPFieldValue)] = [(DeadLetterHeaders.reason, .string(VendorRejection.reason))]
                if let field = rejection.field { headers.append((DeadLetterHeaders.field, .string(field))) }
                headers.append((DeadLetterHeaders.detail, .string(rejection.detail)))
                headers.append(("x-tally-source", .string(routingKey)))
                try publisher.publish(
                    AMQPOutgoing(
                        exchange: topology.deadExchange, routingKey: routingKey,
                        messageId: rejection.id.map { "\(routingKey):\($0)" }, headers: headers),
                    body: Array(rejection.item.rendered.utf8))
            }
            try publisher.flush(timeoutMilliseconds: configuration.connections.confirmTimeoutMilliseconds)
            if publisher.refused > refusedBefore {
                throw VendorPollerError(.broker, "the broker refused \(publisher.refused - refusedBefore) of the page's messages")
            }
        } catch let error as VendorPollerError {
            reset()
            throw error
        } catch {
            reset()
            throw VendorPollerError(.broker, "\(error)")
        }
    }

    func reset() {
        publisher?.connection.close()
        publisher = nil
    }

    /// Connects, enables confirms and declares the topology (as a worker
    /// would), so the first page is never published into nothing.
    private func connected() throws(AMQPError) -> ConfirmedPublisher {
        if let publisher { return publisher }
        let fresh = try ConfirmedPublisher(endpoint: configuration.connections.broker)
        try configuration.connections.topology.declare(on: fresh.connection)
        publisher = fresh
        return fresh
    }
}
