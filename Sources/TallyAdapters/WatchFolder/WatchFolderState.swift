/// Which files of a watched folder are complete and may be imported
/// (`tally import watch`): the folder is listed every poll, and a file is
/// taken only once it has stood still.
///
/// The rule, for writers that cannot rename atomically:
/// - names starting with `.` and names ending in `.part`, `.tmp`, `.partial`
///   or `~` are never taken (write under such a name, then rename: the
///   rename makes the file visible whole);
/// - any other regular file is taken once two consecutive polls saw it with
///   the same size and modification time (a writer still appending changes
///   one of them between polls);
/// - a file that is taken and still there at the next poll (its import
///   failed for a passing reason and it was left in place) is offered again.
///
/// A value type with no IO: the IO layer lists the folder and feeds
/// ``poll(_:)`` the listing; what it returns is what to import now.
public struct WatchFolderState: Sendable, Equatable {
    /// What a poll saw of one file.
    public struct Observation: Sendable, Equatable {
        public let name: String
        public let size: UInt64
        /// The modification time in nanoseconds (any monotone unit will do:
        /// only equality matters).
        public let modified: Int64

        public init(name: String, size: UInt64, modified: Int64) {
            self.name = name
            self.size = size
            self.modified = modified
        }
    }

    /// The previous poll's view of each candidate, by name.
    private var seen: [String: Observation] = [:]

    public init() {}

    /// Suffixes of names being written (never taken).
    public static let inProgressSuffixes = [".part", ".tmp", ".partial", "~"]

    /// Whether a name may ever be taken (see the rule above).
    public static func isCandidate(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && !inProgressSuffixes.contains { name.hasSuffix($0) }
    }

    /// Takes this poll's listing (regular files only) and returns the names
    /// that are complete now, sorted so files are imported in a stable order.
    /// Files gone since the last poll are forgotten.
    public mutating func poll(_ listing: [Observation]) -> [String] {
        var next: [String: Observation] = [:]
        var ready: [String] = []
        for file in listing where Self.isCandidate(file.name) {
            next[file.name] = file
            if seen[file.name] == file { ready.append(file.name) }
        }
        seen = next
        return ready.sorted()
    }

    /// A name for `name` in a folder that already holds `taken`: the name
    /// itself, else `name.1`, `name.2`, …, so a file moved to `done/` or
    /// `failed/` never replaces an earlier one of the same name.
    public static func freeName(for name: String, taken: (String) -> Bool) -> String {
        guard taken(name) else { return name }
        var index = 1
        while taken("\(name).\(index)") { index += 1 }
        return "\(name).\(index)"
    }
}
