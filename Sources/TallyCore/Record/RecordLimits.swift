/// Bounds that keep hostile input from costing memory or breaking keys.
public struct RecordLimits: Sendable, Equatable {
    /// Bodies above this are dead-lettered as `too-large` without parsing.
    public var maxBodyBytes: Int
    /// Every string field is at most this many UTF-8 bytes.
    public var maxFieldBytes: Int

    public init(maxBodyBytes: Int = 65_536, maxFieldBytes: Int = 256) {
        self.maxBodyBytes = maxBodyBytes
        self.maxFieldBytes = maxFieldBytes
    }
}
