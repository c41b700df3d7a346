import Dispatch
import Foundation
import TallyAMQPClient
import TallyAdapters
import TallyAggregatorClient
import TallyBroker

/// Fetches account reports from the aggregator and publishes each as one
/// persistent message on the `reports` exchange, with publisher confirms
/// (``AccountReportMessage`` says what a message holds).
///
/// `tally report accounts` is this type; an importer reports the accounts
/// of a file it just published with one call:
///
/// ```swift
/// try await AccountReportDispatcher(client: AggregatorClient(baseURL: url), broker: broker, topology: topology)
///     .publishReports(for: Array(rowsPerAccount.keys), waitingFor: rowsPerAccount)
/// ```
///
/// `waitingFor` matters there: the importer's records reach the index only
/// after a worker applied them and the aggregator ingested the log, so a
/// report fetched at once could miss them. With a minimum number of
/// transactions per account, each report is fetched again until it covers
/// that many (or `timeout` passes, which is an error naming the account).
public struct AccountReportDispatcher: Sendable {
    /// What a run did.
    public struct Outcome: Sendable, Equatable {
        /// Messages the broker confirmed, one per account.
        public var published: [String] = []
        /// Accounts named but without any transaction in the aggregator.
        public var unknown: [String] = []
    }

    /// Failures after which the run stops.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public let client: AggregatorClient
    public let broker: AMQPEndpoint
    public let topology: Topology
    /// Accounts fetched, then published and confirmed, per batch: bounds the
    /// memory of a run over many accounts.
    public var batchSize = 100

    public init(client: AggregatorClient, broker: AMQPEndpoint, topology: Topology) {
        self.client = client
        self.broker = broker
        self.topology = topology
    }

    /// Publishes the reports of `accounts` (nil: every account of the
    /// transactions source, in byte order).
    ///
    /// - Parameters:
    ///   - waitingFor: per account, the fewest transactions its report must
    ///     cover before it is sent (see the type's documentation).
    ///   - timeout: how long to wait for those counts, in all.
    ///   - progress: a line per batch, for a person watching.
    public func publishReports(
        for accounts: [String]? = nil, waitingFor minimums: [String: Int] = [:], timeout: Duration = .seconds(120),
        progress: @Sendable (String) -> Void = { _ in }
    ) async throws -> Outcome {
        let names: [String]
        if let accounts {
            names = accounts
        } else {
            names = try await client.accounts()
        }
        let lane = try await PublishingLane.open(broker: broker, topology: topology)
        var outcome = Outcome()
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var start = 0
        while start < names.count {
            let batch = names[start..<min(start + batchSize, names.count)]
            var messages: [AccountReportMessage] = []
            var sent: [String] = []
            for account in batch {
                guard let report = try await fetch(account, minimum: minimums[account] ?? 0, deadline: deadline) else {
                    outcome.unknown.append(account)
                    continue
                }
                do {
                    messages.append(try AccountReportMessage(report: report))
                } catch {
                    throw Failure(description: error.description)
                }
                sent.append(account)
            }
            try await lane.publish(messages)
            outcome.published += sent
            start += batch.count
            progress("reports: \(outcome.published.count) published, \(outcome.unknown.count) unknown, \(names.count - start) to go")
        }
        return outcome
    }

    /// The report once it covers `minimum` transactions (polled every 200 ms
    /// until `deadline`); nil for an account without transactions when no
    /// minimum is asked for.
    private func fetch(_ account: String, minimum: Int, deadline: ContinuousClock.Instant) async throws -> AccountReport? {
        while true {
            let report = try await client.report(account: account)
            if let report, report.transactionCount >= minimum { return report }
            if report == nil, minimum == 0 { return nil }
            guard ContinuousClock.now < deadline else {
                throw Failure(description: "account \(account): the aggregator has \(report?.transactionCount ?? 0) of at least \(minimum) transactions; gave up waiting (is a worker running, is the aggregator caught up?)")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}

extension AccountReportDispatcher {
    /// Publishes report messages persistently on `exchange` and waits for
    /// every confirm; a refusal is an error. Blocking: for a thread of its
    /// own (the import watcher's) or the dispatcher's serial queue.
    public static func publish(_ messages: [AccountReportMessage], with publisher: ConfirmedPublisher, exchange: String) throws {
        for message in messages {
            try publisher.publish(
                AMQPOutgoing(
                    exchange: exchange, routingKey: message.routingKey, messageId: message.messageId,
                    contentType: "application/json", persistent: true,
                    headers: [("x-tally-type", .string(AccountReportMessage.messageType))]),
                body: message.body)
        }
        let refused = try publisher.flush()
        guard refused.isEmpty else {
            throw Failure(description: "the broker refused \(refused.count) of \(messages.count) report messages")
        }
    }
}

/// One broker connection with confirms, confined to its own serial queue:
/// rabbitmq-c blocks and is not thread-safe, so it never runs on Swift's
/// cooperative pool.
private final class PublishingLane: @unchecked Sendable {
    // @unchecked: `publisher` is only touched on `queue`.
    private let queue = DispatchQueue(label: "tally.report-publisher")
    private var publisher: ConfirmedPublisher?
    private let exchange: String

    private init(exchange: String) {
        self.exchange = exchange
    }

    /// Connects, enables confirms and declares the `reports` exchange
    /// (idempotent), so it exists before the first message.
    static func open(broker: AMQPEndpoint, topology: Topology) async throws -> PublishingLane {
        let lane = PublishingLane(exchange: topology.reportsExchange)
        try await lane.run { lane in
            let publisher = try ConfirmedPublisher(endpoint: broker)
            try publisher.connection.declareExchange(topology.reportsExchange, type: "topic")
            lane.publisher = publisher
        }
        return lane
    }

    /// Publishes persistently and waits for every confirm; a refusal is an error.
    func publish(_ messages: [AccountReportMessage]) async throws {
        guard !messages.isEmpty else { return }
        let exchange = self.exchange
        try await run { lane in
            guard let publisher = lane.publisher else { return }
            try AccountReportDispatcher.publish(messages, with: publisher, exchange: exchange)
        }
    }

    private func run(_ body: @escaping @Sendable (PublishingLane) throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            queue.async {
                do {
                    try body(self)
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
