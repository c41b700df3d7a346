import ArgumentParser
import TallyAMQPClient
import TallyWorker

struct Drain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Take messages off a queue and print their bodies, one per line.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Queue to read.") var queue: String
    @Option(help: "Wait until at least this many arrived (or the timeout passes).") var expect = 0
    @Option(help: "Seconds to wait for --expect.") var timeout = 30
    @Option(help: "Print at most this many (the rest are still taken).") var show = Int.max

    func run() async throws {
        let settings = try await connection.load()
        let amqp = try AMQPConnection(settings.broker)
        var taken = 0
        let deadline = ContinuousClock.now.advanced(by: .seconds(timeout))
        while true {
            if let delivery = try amqp.get(queue) {
                if taken < show {
                    print(String(decoding: delivery.body, as: UTF8.self))
                }
                try amqp.ack(delivery.deliveryTag, multiple: false)
                taken += 1
            } else if taken >= expect || ContinuousClock.now >= deadline {
                break
            } else {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        if taken < expect {
            progress("only \(taken) of \(expect) messages arrived on \(queue) within \(timeout) s")
            throw ExitCode(1)
        }
    }
}
