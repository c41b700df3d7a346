/// A string that is equal to another only when their UTF-8 bytes are.
///
/// Swift's `String` compares by Unicode canonical equivalence: NFC `"é"`
/// and NFD `"e\u{301}"` are equal, hash alike and sort together, and a
/// `Character` swallows a combining mark into the one before it. Redis keys,
/// the index and AMQP compare bytes, so two identifiers, units or currencies
/// that differ in bytes are two values everywhere in tally (docs/contract.md,
/// "Identifiers are bytes"). Key every dictionary, set and sort of such
/// values by `ExactText`, never by `String`.
public struct ExactText: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let string: String

    public init(_ string: String) { self.string = string }

    public static func == (a: ExactText, b: ExactText) -> Bool {
        a.string.hasSameBytes(as: b.string)
    }

    public func hash(into hasher: inout Hasher) {
        string.hashBytes(into: &hasher)
    }

    /// Byte order, the order Redis, SQLite's BINARY collation and the
    /// summaries' unit lists use.
    public static func < (a: ExactText, b: ExactText) -> Bool {
        a.string.utf8.lexicographicallyPrecedes(b.string.utf8)
    }

    public var description: String { string }
}

extension String {
    /// Whether the two strings have the same UTF-8 bytes (not merely
    /// canonically equivalent, as `==` says).
    /// Compares the two buffers at once rather than byte by byte through
    /// `UTF8View` (sets of identities compare on every batch).
    @inlinable
    public func hasSameBytes(as other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        var a = self, b = other  // withUTF8 copies only a bridged string
        return a.withUTF8 { a in b.withUTF8 { b in a.elementsEqual(b) } }
    }

    /// Feeds the UTF-8 bytes, then their count, to `hasher`: the hash that
    /// goes with ``hasSameBytes(as:)``, in one call rather than one per byte.
    @inlinable
    public func hashBytes(into hasher: inout Hasher) {
        var copy = self
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        hasher.combine(utf8.count)
    }

    /// Whether the UTF-8 bytes start with `prefix`'s (`hasPrefix` works on
    /// characters: `"p:\u{301}kWh".hasPrefix("p:")` is false).
    @inlinable
    public func hasBytePrefix(_ prefix: String) -> Bool {
        utf8.starts(with: prefix.utf8)
    }

    /// What follows the first `count` UTF-8 bytes (`dropFirst` drops characters).
    public func droppingFirstBytes(_ count: Int) -> String {
        String(decoding: utf8.dropFirst(count), as: UTF8.self)
    }
}
