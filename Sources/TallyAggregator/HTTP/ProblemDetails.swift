import Hummingbird
import TallyCore

/// An RFC 9457 `application/problem+json` body: every error the API returns.
/// `parameter` names the offending request parameter for 400s.
public struct ProblemDetails: Sendable, Equatable {
    public let status: Int
    public let title: String
    public let detail: String
    public let parameter: String?

    public init(status: Int, title: String, detail: String, parameter: String? = nil) {
        self.status = status
        self.title = title
        self.detail = detail
        self.parameter = parameter
    }

    public init(_ invalid: InvalidParameter) {
        self.init(
            status: 400, title: "Invalid parameter", detail: "\(invalid.parameter): \(invalid.reason)",
            parameter: invalid.parameter)
    }

    public var json: String {
        var out = "{\"type\":\"about:blank\",\"title\":"
        JSONWriter.appendQuoted(title, to: &out)
        out += ",\"status\":\(status),\"detail\":"
        JSONWriter.appendQuoted(detail, to: &out)
        if let parameter {
            out += ",\"parameter\":"
            JSONWriter.appendQuoted(parameter, to: &out)
        }
        out += "}"
        return out
    }

    public var response: Response {
        Response(
            status: .init(code: status),
            headers: [.contentType: "application/problem+json"],
            body: .init(byteBuffer: ByteBuffer(string: json)))
    }
}
