import Foundation
import Logging
import TallyCore

/// One JSON object per line on standard error, for log shippers
/// (`--log-format json` or `TALLY_LOG_FORMAT=json` on every process):
/// `{"time","level","label","message", …metadata}`; nested metadata
/// becomes nested objects, lists arrays, everything else strings.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private static let output = LockedStandardError()

    public init(label: String, level: Logger.Level = .info) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var line = "{\"time\":"
        JSONWriter.appendQuoted(Self.timestamp(), to: &line)
        line += ",\"level\":"
        JSONWriter.appendQuoted(event.level.rawValue, to: &line)
        line += ",\"label\":"
        JSONWriter.appendQuoted(label, to: &line)
        line += ",\"message\":"
        JSONWriter.appendQuoted("\(event.message)", to: &line)
        for key in merged.keys.sorted() where !["time", "level", "label", "message"].contains(key) {
            line += ","
            JSONWriter.appendQuoted(key, to: &line)
            line += ":"
            Self.append(merged[key]!, to: &line)
        }
        line += "}\n"
        Self.output.write(line)
    }

    /// UTC, RFC 3339 with milliseconds.
    private static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(now.tv_nsec / 1_000_000), 3))Z"
    }

    private static func append(_ value: Logger.MetadataValue, to line: inout String) {
        switch value {
        case .string(let text): JSONWriter.appendQuoted(text, to: &line)
        case .stringConvertible(let convertible): JSONWriter.appendQuoted(convertible.description, to: &line)
        case .array(let values):
            line += "["
            for (index, element) in values.enumerated() {
                if index > 0 { line += "," }
                append(element, to: &line)
            }
            line += "]"
        case .dictionary(let dictionary):
            line += "{"
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { line += "," }
                JSONWriter.appendQuoted(key, to: &line)
                line += ":"
                append(dictionary[key]!, to: &line)
            }
            line += "}"
        }
    }

    /// Whole lines only, even from several threads.
    private final class LockedStandardError: @unchecked Sendable {
        private let lock = NSLock()
        func write(_ line: String) {
            lock.lock()
            defer { lock.unlock() }
            FileHandle.standardError.write(Data(line.utf8))
        }
    }
}

/// How a process writes its log: `text` (swift-log's stream format) or `json`.
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json

    /// Bootstraps swift-log once, before anything logs.
    public func bootstrap(level: Logger.Level) {
        switch self {
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        case .json:
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
        }
    }
}
