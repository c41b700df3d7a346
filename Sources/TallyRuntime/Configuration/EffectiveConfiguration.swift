/// The effective configuration of a process as `key = value` lines, in the
/// keys of `Config/*.json`, with secrets masked (`tally config print`).
/// A secret that is set shows as `********`; one that is not, as `(none)`.
public struct EffectiveConfiguration: Sendable, CustomStringConvertible {
    public private(set) var entries: [(key: String, value: String)] = []

    public init() {}

    public mutating func add(_ key: String, _ value: CustomStringConvertible) {
        entries.append((key, value.description))
    }

    public mutating func addSecret(_ key: String, _ value: String?) {
        entries.append((key, value.map { $0.isEmpty ? "(empty)" : "********" } ?? "(none)"))
    }

    public var description: String { entries.map { "\($0.key) = \($0.value)" }.joined(separator: "\n") }

    /// One line per key with the source of its value, aligned:
    /// `batch.maxSize = 50    # flag --batch-max-size`.
    public func described(origins: ConfigurationProvenance) -> String {
        let width = entries.map { $0.key.count + $0.value.count }.max() ?? 0
        return entries.map { entry in
            let line = "\(entry.key) = \(entry.value)"
            return line + String(repeating: " ", count: width + 5 - line.count) + "# \(origins.origin(of: entry.key))"
        }.joined(separator: "\n")
    }
}
