import TallyAdapters
import TallyRedisClient
import TallyStore

/// The mailer's record of each report message id in Redis
/// (`<prefix>:mail:sent:<messageId>`, a string holding
/// ``MailDeliveryState/stored``), changed only by compare-and-set so two
/// mailers — or a mailer and the one it replaced — can never both believe
/// they own a message. Confined to the mailer's thread.
final class MailDeliveryStore {
    private let endpoint: RedisEndpoint
    private let layout: RedisKeyLayout
    private var connection: RedisConnection?

    /// Sets KEYS[1] to ARGV[2] (deletes it when empty; with a PX of ARGV[3]
    /// ms when > 0) only if it holds ARGV[1] now (empty: absent). 1 if set.
    static let compareAndSet = """
        local current = redis.call('GET', KEYS[1])
        if current == false then current = '' end
        if current ~= ARGV[1] then return 0 end
        if ARGV[2] == '' then
          redis.call('DEL', KEYS[1])
        elseif tonumber(ARGV[3]) > 0 then
          redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
        else
          redis.call('SET', KEYS[1], ARGV[2])
        end
        return 1
        """

    init(endpoint: RedisEndpoint, keyPrefix: String) {
        self.endpoint = endpoint
        layout = RedisKeyLayout(prefix: keyPrefix)
    }

    /// The stored text (nil: nothing recorded).
    func stored(_ messageId: String) throws -> String? {
        try run(RedisCommand("GET", layout.mailDelivery(messageId))).text
    }

    /// Replaces `expected` (nil: absent) with `new` (nil: delete); false if
    /// the record was not `expected` any more.
    func replace(_ messageId: String, expected: String?, with new: String?, expiringAfterMilliseconds: Int64 = 0) throws -> Bool {
        let reply = try run(
            RedisCommand(
                "EVAL", Self.compareAndSet, "1", layout.mailDelivery(messageId), expected ?? "", new ?? "",
                String(max(0, expiringAfterMilliseconds))))
        return reply.integer == 1
    }

    /// Drops the connection after a failure; the next call reconnects.
    func reset() { connection = nil }

    private func run(_ command: RedisCommand) throws -> RedisReply {
        do {
            let connection = try self.connection ?? RedisConnection(endpoint)
            self.connection = connection
            let reply = try connection.command(command)
            if let message = reply.errorMessage { throw ReportMailerError("Redis: \(message)") }
            return reply
        } catch {
            connection = nil
            throw error as? ReportMailerError ?? ReportMailerError("Redis: \(error)")
        }
    }
}
