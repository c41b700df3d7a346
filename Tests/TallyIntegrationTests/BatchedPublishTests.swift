import Foundation
import TallyAMQPClient
import TallyBroker
import Testing

/// `AMQPConnection.withBatchedPublishes`: the worker's outputs are encoded
/// by tally (`PublishFrames`) and written together, not by rabbitmq-c one
/// frame at a time. A real broker reads them back: every message arrives,
/// in order, with its body, exchange, routing key, message id and headers,
/// and every publish is confirmed.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct BatchedPublishTests {
    @Test func whatABatchPublishesArrivesWholeAndInOrder() throws {
        let environment = TestEnvironment("batched-publish")
        defer { environment.cleanUp() }
        let exchange = "\(environment.configuration.topology.notificationsExchange)"
        try environment.declareTopology()
        let queue = "tally.test.batched.\(environment.runId)"
        let reader = try AMQPConnection(environment.configuration.broker)
        defer { try? reader.deleteQueue(queue) }
        try reader.declareQueue(queue)
        try reader.bindQueue(queue, exchange: exchange, routingKey: "#")

        // Bodies of 0 bytes, of many frames (the agreed frame size is 128 KiB),
        // and multibyte text; a message with headers in the middle goes
        // through rabbitmq-c, after what came before it.
        let frameMax = 131_072
        let bodies: [[UInt8]] = [
            Array("{\"n\":1}".utf8), [], Array(repeating: UInt8(ascii: "x"), count: 3 * frameMax + 17),
            Array("{\"unit\":\"m³\",\"é\":\"e\u{301}\"}".utf8),
        ] + (0..<200).map { Array("{\"record\":\($0)}".utf8) }
        let publisher = try ConfirmedPublisher(endpoint: environment.configuration.broker)
        try publisher.connection.withBatchedPublishes {
            for (index, body) in bodies.enumerated() {
                let withHeaders = index == 5
                try publisher.publish(
                    AMQPOutgoing(
                        exchange: exchange, routingKey: "destination-\(index % 7)", messageId: index % 5 == 3 ? nil : "id-\(index)",
                        contentType: index == 1 ? nil : "application/json", persistent: index % 2 == 0,
                        headers: withHeaders ? [("x-tally-test", .string("with headers"))] : []),
                    body: body)
            }
        }
        #expect(try publisher.flush(timeoutMilliseconds: 10_000).isEmpty)
        #expect(publisher.confirmed == bodies.count)

        try reader.consume(queue)
        for (index, body) in bodies.enumerated() {
            let delivery = try #require(try reader.nextDelivery(timeoutMilliseconds: 10_000), "message \(index) missing")
            #expect(delivery.body == body, "message \(index): \(delivery.body.count) bytes, expected \(body.count)")
            #expect(delivery.routingKey == "destination-\(index % 7)")
            #expect(delivery.exchange == exchange)
            #expect(delivery.messageId == (index % 5 == 3 ? nil : "id-\(index)"))
            #expect((delivery.headers["x-tally-test"] != nil) == (index == 5), "message \(index): \(delivery.headers)")
        }
        #expect(try reader.nextDelivery(timeoutMilliseconds: 200) == nil)
    }
}
