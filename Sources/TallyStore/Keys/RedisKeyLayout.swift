import TallyCore

/// Where tally keeps its state in Redis.
///
/// Every key of one destination starts with `<prefix>:{<destination>}`, so
/// they share a hash tag and one slot (the claims and the log, below, are
/// the exceptions, which is why the Function needs one Redis primary, not a
/// Cluster). Inside the braces `%`, `{` and `}` are
/// percent-escaped, so no destinationId can end the tag early or make two
/// destinations share keys. The reference is always the last component of
/// its key, so it needs no escaping.
///
/// - `<base>:sum`            hash: summary of the destination (`count`, `p:<unit>`, `n:<unit>`)
/// - `<base>:ref:<ref>`      hash: summary of the destination and reference
/// - `<base>:refs`           set: the references seen for the destination
/// - `<base>:pending`        hash: recordId → fingerprint + outputs not yet confirmed by the broker
/// - `<base>:stats`          hash: counters (`conflicts`)
/// - `<prefix>:log`          stream: every applied record, for the aggregator
/// - `<prefix>:c:<recordId>`  string: the claim (layout 4): fingerprint, then what re-renders an unconfirmed outcome
/// - `<prefix>:layout`       hash: which layout this Redis holds (`version`), and what remains of layout 3
/// - `<prefix>:ids:<shard>:<bucket>` hash: recordId → fingerprint (layout 3's claims)
/// - `<prefix>:imports:sha256:<hex>` string: a transactions file imported (or being imported)
/// - `<prefix>:adapter:{<name>}:cursor`, `…:requests` strings: a vendor poller's cursor and recent request instants
///
/// The claims are the one thing *not* under the destination's tag: a
/// recordId is not tied to a destination, and a record arriving again with
/// another destination must still be recognised (as a conflict) rather than
/// applied a second time. They are sharded by a stable hash of the recordId
/// so that no single hash grows huge or expires in one long blocking delete.
public struct RedisKeyLayout: Sendable, Equatable {
    public let prefix: String

    public init(prefix: String = "tally") {
        self.prefix = prefix
    }

    public func destinationBase(_ destinationId: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(prefix.utf8.count + destinationId.utf8.count + 3)
        appendDestinationBase(destinationId, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends ``destinationBase(_:)``'s bytes to `out` (the worker writes
    /// keys straight into the Redis command).
    public func appendDestinationBase(_ destinationId: String, to out: inout [UInt8]) {
        out.append(contentsOf: prefix.utf8)
        out.append(contentsOf: ":{".utf8)
        for byte in destinationId.utf8 {
            switch byte {
            case UInt8(ascii: "%"): out.append(contentsOf: "%25".utf8)
            case UInt8(ascii: "{"): out.append(contentsOf: "%7B".utf8)
            case UInt8(ascii: "}"): out.append(contentsOf: "%7D".utf8)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Appends ``referenceSummary(_:reference:)``'s bytes to `out`.
    public func appendReferenceSummary(_ destinationId: String, reference: String, to out: inout [UInt8]) {
        appendDestinationBase(destinationId, to: &out)
        out.append(contentsOf: ":ref:".utf8)
        out.append(contentsOf: reference.utf8)
    }

    public func destinationSummary(_ destinationId: String) -> String {
        destinationBase(destinationId) + ":sum"
    }

    public func referenceSummary(_ destinationId: String, reference: String) -> String {
        destinationBase(destinationId) + ":ref:" + reference
    }

    public func references(_ destinationId: String) -> String {
        destinationBase(destinationId) + ":refs"
    }

    public func pending(_ destinationId: String) -> String {
        destinationBase(destinationId) + ":pending"
    }

    /// Appends ``pending(_:)``'s bytes to `out`.
    public func appendPending(_ destinationId: String, to out: inout [UInt8]) {
        appendDestinationBase(destinationId, to: &out)
        out.append(contentsOf: ":pending".utf8)
    }

    public func stats(_ destinationId: String) -> String {
        destinationBase(destinationId) + ":stats"
    }

    public var log: String { prefix + ":log" }

    /// Appends ``log``'s bytes to `out`.
    public func appendLog(to out: inout [UInt8]) {
        out.append(contentsOf: prefix.utf8)
        out.append(contentsOf: ":log".utf8)
    }

    /// Which layout this Redis holds, and until when layout 3's claims and
    /// pending outcomes are looked up (`tally_v4.lua`).
    public var layoutVersion: String { prefix + ":layout" }

    /// The claim of a recordId under layout 4: its fingerprint, and, until
    /// the outputs are confirmed, what renders them again.
    public func claim(_ recordId: String) -> String {
        prefix + ":c:" + recordId
    }

    /// A counter each worker increments after a batch when it waits for
    /// replicas (``ReplicaAcknowledgement``): the write that makes `WAIT`
    /// cover everything the primary holds. Its value means nothing.
    public var replicationMarker: String { prefix + ":replication-marker" }

    /// The marker of a transactions file by the SHA-256 of its content (hex).
    public func importedFile(sha256 hex: String) -> String {
        prefix + ":imports:sha256:" + hex
    }

    /// A poller's cursor; `name` is its state name, without braces.
    public func adapterCursor(_ name: String) -> String {
        prefix + ":adapter:{" + name + "}:cursor"
    }

    /// A poller's recent request instants (same hash tag as its cursor).
    public func adapterRequests(_ name: String) -> String {
        prefix + ":adapter:{" + name + "}:requests"
    }

    /// The report mailer's record of one report message id (sending,
    /// committing, sent): see `MailDeliveryState`.
    public func mailDelivery(_ messageId: String) -> String {
        prefix + ":mail:sent:" + messageId
    }

    /// Claim shards per bucket: at 100,000 records an hour a daily shard
    /// holds about 2,300 recordIds.
    public static let claimShards: UInt64 = 1024

    /// The claims of `recordId`, without the bucket (the Function appends it).
    public func claims(_ recordId: String) -> String {
        prefix + ":ids:" + String(Self.claimShard(recordId))
    }

    /// Appends ``claims(_:)``'s bytes to `out`.
    public func appendClaims(_ recordId: String, to out: inout [UInt8]) {
        out.append(contentsOf: prefix.utf8)
        out.append(contentsOf: ":ids:".utf8)
        DecimalText.append(Self.claimShard(recordId), to: &out)
    }

    /// A stable hash (FNV-1a) of the recordId's bytes, modulo the shard count.
    static func claimShard(_ recordId: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in recordId.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash % claimShards
    }
}
