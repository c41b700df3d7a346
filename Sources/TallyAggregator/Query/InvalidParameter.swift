/// A request parameter the API refuses, and why: rendered as a 400
/// `application/problem+json` naming the parameter (see ``ProblemDetails``).
public struct InvalidParameter: Error, Sendable, Equatable {
    public let parameter: String
    public let reason: String

    public init(_ parameter: String, _ reason: String) {
        self.parameter = parameter
        self.reason = reason
    }
}
