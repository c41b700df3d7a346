import TallyCore

/// The source adapters (readings, transactions, vendor) map foreign inputs
/// onto standard records. Each adapter owns one `sourceId` and one prefix for
/// its destinations, so that a meter `33`, an account `33` and a user `33`
/// stay three destinations in one fleet, and a view can select exactly its
/// adapter's records by `sourceId` and destination prefix.
///
/// The recordIds each adapter derives are deterministic (built from the
/// foreign input's own identity), which is what makes re-running an import
/// or a poll harmless: the fleet claims each recordId once.
public struct AdapterNamespace: Sendable, Hashable {
    /// The `sourceId` of every record this adapter publishes.
    public let sourceId: String
    /// Prepended to the foreign key to form the `destinationId`.
    public let destinationPrefix: String

    public init(sourceId: String, destinationPrefix: String) {
        self.sourceId = sourceId
        self.destinationPrefix = destinationPrefix
    }

    /// The destinationId of the foreign key `key` (an icp_id, an account, a user).
    public func destination(_ key: String) -> String { destinationPrefix + key }

    /// The foreign key of `destinationId`, or nil when it is not this adapter's.
    public func key(ofDestination destinationId: String) -> String? {
        guard destinationId.hasPrefix(destinationPrefix) else { return nil }
        return String(destinationId.dropFirst(destinationPrefix.count))
    }
}
