import TallyRedisClient
import TallyStore

/// The poller's state in Redis, so a restarted poller resumes where the
/// last one stopped and still honours the rate limit:
///
/// - `<prefix>:adapter:{<name>}:cursor` (string): the vendor cursor after
///   the last page whose records the broker confirmed. Written only after
///   the confirms, so a crash replays at most one page (harmless: recordIds
///   are deterministic, the fleet claims each once).
/// - `<prefix>:adapter:{<name>}:requests` (string `ms,ms,…`, expiring): the
///   instants (epoch milliseconds) of the last requests, including a
///   pessimistic one for a request in flight, so a poller restarted within
///   the window does not spend the same window's budget twice.
///
/// Both keys share a hash tag. Confined to the poller's thread.
final class VendorPollStore {
    private let endpoint: RedisEndpoint
    private var connection: RedisConnection?
    let cursorKey: String
    let requestsKey: String

    init(endpoint: RedisEndpoint, keyPrefix: String, name: String) {
        self.endpoint = endpoint
        let layout = RedisKeyLayout(prefix: keyPrefix)
        cursorKey = layout.adapterCursor(name)
        requestsKey = layout.adapterRequests(name)
    }

    /// The stored cursor; nil before the first page (start at the beginning).
    func cursor() throws(VendorPollerError) -> String? {
        try run(RedisCommand("GET", cursorKey)).text
    }

    func storeCursor(_ cursor: String) throws(VendorPollerError) {
        _ = try run(RedisCommand("SET", cursorKey, cursor))
    }

    func requestInstants() throws(VendorPollerError) -> [Int64] {
        guard let text = try run(RedisCommand("GET", requestsKey)).text else { return [] }
        return text.split(separator: ",").compactMap { Int64($0) }
    }

    /// Stores the instants; the key expires when none of them can matter.
    func storeRequestInstants(_ instants: [Int64], keepMilliseconds: Int64) throws(VendorPollerError) {
        let text = instants.map(String.init).joined(separator: ",")
        _ = try run(RedisCommand("SET", requestsKey, text, "PX", String(max(keepMilliseconds, 1))))
    }

    /// Drops the connection after a failure; the next call reconnects.
    func reset() {
        connection = nil
    }

    private func run(_ command: RedisCommand) throws(VendorPollerError) -> RedisReply {
        do {
            let connection = try self.connection ?? RedisConnection(endpoint)
            self.connection = connection
            let reply = try connection.command(command)
            if let message = reply.errorMessage { throw VendorPollerError(.redis, message) }
            return reply
        } catch let error as VendorPollerError {
            connection = nil
            throw error
        } catch {
            connection = nil
            throw VendorPollerError(.redis, "\(error)")
        }
    }
}
