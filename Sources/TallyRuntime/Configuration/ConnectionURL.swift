import Foundation

/// A connection URL as `amqp.url` and `redis.url` take it:
/// `scheme://[user[:password]@]host[:port][/path][?name=value&…]`, every
/// part percent-decoded. Parsing only; which parts a scheme allows is the
/// business of each endpoint's configuration.
public struct ConnectionURL: Sendable {
    public let scheme: String
    public let host: String?
    public let port: Int?
    public let user: String?
    public let password: String?
    /// The path without its leading `/`, decoded; nil when there is none.
    public let path: String?
    public let query: [String: String]

    public init(_ text: String, key: String) throws(ConfigurationFailure) {
        // Shown without the password: a parse error must not leak it.
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw ConfigurationFailure(key: key, problem: "not a URL: \(Self.redacted(text))")
        }
        self.scheme = scheme
        host = components.host.flatMap { $0.isEmpty ? nil : $0 }
        port = components.port
        user = components.percentEncodedUser.map { $0.removingPercentEncoding ?? $0 }
        password = components.percentEncodedPassword.map { $0.removingPercentEncoding ?? $0 }
        let encodedPath = components.percentEncodedPath
        path = encodedPath.isEmpty ? nil : String(encodedPath.dropFirst()).removingPercentEncoding
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard query[item.name] == nil else {
                throw ConfigurationFailure(key: key, problem: "query parameter \(item.name) given twice")
            }
            query[item.name] = item.value ?? ""
        }
        self.query = query
    }

    /// The URL with any password replaced by `********`.
    public static func redacted(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://"), let at = text[schemeEnd.upperBound...].firstIndex(of: "@") else { return text }
        let credentials = text[schemeEnd.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":********" + String(text[at...])
    }
}
