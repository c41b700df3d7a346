import TallyCore
import TallyRedisClient

/// Reads the live summaries of a destination from Redis, as the Function
/// keeps them: overall and per reference.
public struct SummaryReader {
    public struct DestinationSummary: Sendable, Equatable {
        public let destinationId: String
        public let overall: Summary
        public let byReference: [(reference: String, summary: Summary)]
        /// The last reference of this page when more follow (``destination(_:referencesAfter:limit:)``).
        public var lastReferenceIfMore: String?

        public static func == (a: Self, b: Self) -> Bool {
            a.destinationId.hasSameBytes(as: b.destinationId) && a.overall == b.overall
                && a.byReference.map { ExactText($0.reference) } == b.byReference.map { ExactText($0.reference) }
                && a.byReference.map(\.summary) == b.byReference.map(\.summary)
        }
    }

    private let connection: RedisConnection
    private let layout: RedisKeyLayout

    public init(connection: RedisConnection, layout: RedisKeyLayout) {
        self.connection = connection
        self.layout = layout
    }

    /// The overall summary and the references' summaries, in byte order of
    /// the references: all of them, or a page of at most `limit` after the
    /// reference `after` (a destination may have thousands).
    public func destination(_ destinationId: String, referencesAfter after: String? = nil, limit: Int? = nil) throws -> DestinationSummary {
        let overall = try summary(at: layout.destinationSummary(destinationId))
        var references = try connection.command(RedisCommand("SMEMBERS", layout.references(destinationId)))
            .elements?.compactMap(\.text).map(ExactText.init).sorted() ?? []
        if let after {
            let bound = ExactText(after)
            references.removeAll { $0 <= bound }
        }
        var lastIfMore: String?
        if let limit, references.count > limit {
            references.removeLast(references.count - limit)
            lastIfMore = references.last?.string
        }
        var byReference: [(String, Summary)] = []
        for reference in references {
            byReference.append((reference.string, try summary(at: layout.referenceSummary(destinationId, reference: reference.string))))
        }
        return DestinationSummary(
            destinationId: destinationId, overall: overall, byReference: byReference, lastReferenceIfMore: lastIfMore)
    }

    /// Reads a summary hash (``Summary/init(storedFields:)`` parses it:
    /// `count`, integer totals `P:<unit>` / `N:<unit>` at the scales in
    /// `Ps:<unit>` / `Ns:<unit>`, exact totals `p:<unit>` / `n:<unit>`).
    func summary(at key: String) throws -> Summary {
        let reply = try connection.command(RedisCommand("HGETALL", key))
        guard let flat = reply.elements else { throw RedisError(.unexpectedReply, "HGETALL \(key): \(reply)") }
        let fields = stride(from: 0, to: flat.count - 1, by: 2).map { (field: flat[$0].text ?? "", value: flat[$0 + 1].text ?? "") }
        do {
            return try Summary(storedFields: fields)
        } catch {
            throw RedisError(.unexpectedReply, "HGETALL \(key): \(error)")
        }
    }
}
