/// Publisher-confirm bookkeeping for one AMQP channel in confirm mode.
///
/// The broker numbers publishes 1, 2, 3… per channel and answers with
/// `basic.ack`/`basic.nack`, each for one sequence number or, with
/// `multiple`, for every one up to it. A batch may be acked to the input
/// queue only when all of its outputs are confirmed (docs/contract.md, "Outputs").
public struct ConfirmTracker: Sendable, Equatable {
    /// The sequence number the next publish will get.
    public private(set) var nextSequence: UInt64 = 1
    /// Published and not yet answered, in increasing order.
    public private(set) var outstanding: [UInt64] = []
    /// Answered with a nack: the broker did not take responsibility.
    public private(set) var nacked: [UInt64] = []

    public init() {}

    /// Call once per `basic.publish`; returns its sequence number.
    @discardableResult
    public mutating func published() -> UInt64 {
        defer { nextSequence += 1 }
        outstanding.append(nextSequence)
        return nextSequence
    }

    public enum Answer: Sendable { case ack, nack }

    /// Applies a `basic.ack`/`basic.nack` from the broker. Answers for
    /// sequence numbers not outstanding (already answered) are ignored.
    public mutating func received(_ answer: Answer, deliveryTag: UInt64, multiple: Bool) {
        if multiple {
            let end = outstanding.firstIndex(where: { $0 > deliveryTag }) ?? outstanding.endIndex
            if answer == .nack { nacked.append(contentsOf: outstanding[..<end]) }
            outstanding.removeSubrange(..<end)
        } else if let index = outstanding.firstIndex(of: deliveryTag) {
            if answer == .nack { nacked.append(deliveryTag) }
            outstanding.remove(at: index)
        }
    }

    /// Every publish has been answered.
    public var isSettled: Bool { outstanding.isEmpty }

    /// Every publish has been answered, and all with an ack.
    public var allConfirmed: Bool { outstanding.isEmpty && nacked.isEmpty }

    /// Starts a new batch on the same channel: sequence numbers continue.
    public mutating func clearNacks() { nacked.removeAll(keepingCapacity: true) }
}
