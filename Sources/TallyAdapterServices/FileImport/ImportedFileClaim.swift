import Crypto
import Foundation
import TallyRedisClient
import TallyStore

/// A transactions file is processed once: the SHA-256 of a file's
/// content, remembered in Redis under `<prefix>:imports:sha256:<hex>`.
///
/// Claimed before the first row is published (`SET NX`, with a one-hour
/// expiry while the import runs, so a crashed import does not block the file
/// forever), made permanent when every row is confirmed, released when the
/// import fails so that it can be run again.
public struct ImportedFileClaim {
    let connection: RedisConnection
    let key: String
    static let inProgressSeconds = 3_600

    /// The hex SHA-256 of the file's bytes, read in chunks.
    public static func sha256(path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ImportFailure("cannot open \(path) for reading") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    public init(connection: RedisConnection, layout: RedisKeyLayout, hash: String) {
        self.connection = connection
        key = layout.importedFile(sha256: hash)
    }

    /// Claims the file, or throws the refusal naming when it was imported.
    public func claim(file: String, now: Date = Date()) throws {
        guard let previous = try claimOrPrevious(file: file, now: now) else { return }
        throw ImportFailure(
            "refused: a file with the same content (SHA-256 \(key.split(separator: ":").last ?? "")) was already imported — \(previous). A file is processed once; change it to import it again.")
    }

    /// Claims the file and returns nil, or returns what the existing claim
    /// says: `imported <file> at …` (done before) or `importing <file>
    /// since …` (an import running, or one that died within the last
    /// hour). Redis failures throw.
    public func claimOrPrevious(file: String, now: Date = Date()) throws -> String? {
        let marker = "\(Self.inProgressPrefix)\(file) since \(Self.format(now))"
        let reply = try connection.command(RedisCommand("SET", key, marker, "NX", "EX", "\(Self.inProgressSeconds)"))
        guard reply.text != "OK" else { return nil }
        return try connection.command(RedisCommand("GET", key)).text ?? "(unknown)"
    }

    /// How the marker of a claim still in progress starts.
    public static let inProgressPrefix = "importing "

    public func complete(file: String, rows: Int, now: Date = Date()) throws {
        _ = try connection.command(RedisCommand("SET", key, "imported \(file) at \(Self.format(now)) (\(rows) rows)"))
    }

    public func release() {
        _ = try? connection.command(RedisCommand("DEL", key))
    }

    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
