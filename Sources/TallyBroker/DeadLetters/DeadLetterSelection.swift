import TallyCore

/// Which dead letters `tally dead replay` sends back: by position in the
/// queue (1 is the oldest), by recordId, by reason. Within one kind any
/// value matches; across kinds all must (`--reason conflict --position 3`
/// is the third letter, if it is a conflict). No criterion selects all.
public struct DeadLetterSelection: Sendable, Equatable {
    public var positions: Set<Int> = []
    public var recordIds: Set<String> = []
    public var reasons: Set<String> = []

    public init(positions: Set<Int> = [], recordIds: Set<String> = [], reasons: Set<String> = []) {
        self.positions = positions
        self.recordIds = recordIds
        self.reasons = reasons
    }

    public static let all = DeadLetterSelection()

    public var selectsAll: Bool { positions.isEmpty && recordIds.isEmpty && reasons.isEmpty }

    public func matches(_ letter: DeadLetterInspector.Letter) -> Bool {
        (positions.isEmpty || positions.contains(letter.position))
            && (recordIds.isEmpty || letter.recordId.map { id in recordIds.contains { $0.hasSameBytes(as: id) } } == true)
            && (reasons.isEmpty || reasons.contains(letter.reason))
    }
}
