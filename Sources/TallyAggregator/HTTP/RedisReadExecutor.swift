import Dispatch
import Logging
import TallyRedisClient

/// Runs the HTTP side's Redis reads (live summaries, readiness PING) on one
/// serial dispatch queue that owns one hiredis connection: hiredis blocks
/// and is not thread-safe, so it never runs on Swift's cooperative pool
/// (docs/architecture.md). The connection is made lazily and
/// dropped after any failure, so the next request reconnects.
public final class RedisReadExecutor: @unchecked Sendable {
    // @unchecked: `connection` is only touched on `queue`.
    private let queue = DispatchQueue(label: "tally-aggregator.redis-reads")
    private let endpoint: RedisEndpoint
    private var connection: RedisConnection?

    public init(endpoint: RedisEndpoint) {
        var endpoint = endpoint
        // A request must not hang on a stalled Redis for the worker's 10 s.
        endpoint.connectTimeoutMilliseconds = min(endpoint.connectTimeoutMilliseconds, 1_000)
        endpoint.commandTimeoutMilliseconds = min(endpoint.commandTimeoutMilliseconds, 2_000)
        self.endpoint = endpoint
    }

    public func run<T: Sendable>(_ body: @escaping @Sendable (RedisConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do {
                    let connection = try self.connection ?? RedisConnection(self.endpoint)
                    self.connection = connection
                    continuation.resume(returning: try body(connection))
                } catch {
                    self.connection = nil
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
