import Foundation

/// A configuration value listing servers as `host:port` entries separated
/// by commas (`redis.sentinels`, `amqp.failoverHosts`); empty: none.
public enum HostPortList {
    public static func parse(_ text: String, key: String, example: String) throws(ConfigurationFailure) -> [(host: String, port: Int)] {
        var addresses: [(host: String, port: Int)] = []
        for entry in text.split(separator: ",", omittingEmptySubsequences: true) {
            let trimmed = entry.trimmingCharacters(in: .whitespaces)
            guard let colon = trimmed.lastIndex(of: ":"), colon != trimmed.startIndex,
                let port = Int(trimmed[trimmed.index(after: colon)...]), (1...65_535).contains(port)
            else {
                throw ConfigurationFailure(key: key, problem: "\"\(trimmed)\" is not host:port (e.g. \(example))")
            }
            addresses.append((String(trimmed[..<colon]), port))
        }
        return addresses
    }
}
