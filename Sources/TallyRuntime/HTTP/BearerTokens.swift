import Foundation

/// The tokens an HTTP API accepts in `Authorization: Bearer <token>`.
///
/// Tokens come from configuration or from a file (a mounted secret: one
/// token per line, blank lines and `#` comments ignored), so several can be
/// valid at once while one is rotated. A presented token is compared with
/// every accepted one in time that depends only on the lengths, never on
/// where the first differing byte is, so response times tell an attacker
/// nothing about a token's prefix.
public struct BearerTokens: Sendable, Equatable {
    private let tokens: [[UInt8]]

    /// The shortest token accepted: 16 bytes (128 bits of a random hex or
    /// base64 token), so a configured token cannot be guessed.
    public static let minimumBytes = 16

    public init(_ tokens: [String]) {
        self.tokens = tokens.map { Array($0.utf8) }
    }

    public var isEmpty: Bool { tokens.isEmpty }
    public var count: Int { tokens.count }

    /// The tokens of a comma-separated list (configuration) and of a file.
    public static func load(list: String?, file: String?) throws -> [String] {
        var tokens = (list ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if let file, !file.isEmpty {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw BearerTokenError("cannot read the token file \(file): \(error.localizedDescription)")
            }
            tokens += text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        }
        if let short = tokens.first(where: { $0.utf8.count < minimumBytes }) {
            throw BearerTokenError("a token of \(short.utf8.count) bytes is too short to be secret (at least \(minimumBytes))")
        }
        if let bad = tokens.first(where: { $0.utf8.contains { $0 <= 0x20 || $0 >= 0x7F } }) {
            throw BearerTokenError("a token holds a space, control or non-ASCII byte (\(bad.utf8.count) bytes); use hex or base64")
        }
        return tokens
    }

    /// Whether `header` (the whole `Authorization` value) carries an accepted token.
    public func accepts(authorization header: String?) -> Bool {
        guard let header else { return false }
        let bytes = Array(header.utf8)
        let scheme = Array("bearer ".utf8)
        guard bytes.count > scheme.count,
            zip(bytes.prefix(scheme.count), scheme).allSatisfy({ $0 | 0x20 == $1 | 0x20 })
        else { return false }
        let presented = bytes[scheme.count...].drop { $0 == 0x20 }
        var accepted = false
        for token in tokens {
            // Every token is compared in full, whatever matched before.
            accepted = Self.constantTimeEquals(presented, token) || accepted
        }
        return accepted
    }

    /// Equal bytes, in time that depends on the lengths only.
    static func constantTimeEquals(_ a: some Collection<UInt8>, _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}

/// Tokens that cannot be used: unreadable file, too short, bad bytes.
public struct BearerTokenError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
