/// A load-test failure that is not a verification finding: bad options, a
/// server that does not answer, a run that timed out. The message names
/// what is wrong.
public struct LoadTestError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
