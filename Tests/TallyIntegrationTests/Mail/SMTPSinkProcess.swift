import Foundation

/// A real SMTP server (`scripts/smtp-sink.py`, Debian's python3-aiosmtpd)
/// on a free port, writing each accepted message to a folder as `.eml`
/// with its envelope in `X-Envelope-From` / `X-Envelope-To` lines.
final class SMTPSinkProcess {
    private let process = Process()
    let directory: URL
    let port: Int

    init(_ environment: TestEnvironment, arguments: [String] = []) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("tally-smtp-\(environment.runId)-\(UUID().uuidString)")
        directory = base.appendingPathComponent("messages")
        let portFile = base.appendingPathComponent("port")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        process.executableURL = environment.repository.appendingPathComponent("scripts/smtp-sink.py")
        process.arguments = ["--dir", directory.path, "--port-file", portFile.path] + arguments
        let log = environment.stateDirectory.appendingPathComponent("test-logs/\(environment.runId)-smtp.log")
        try FileManager.default.createDirectory(at: log.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = process.standardOutput
        try process.run()
        try waitUntil("the SMTP server to listen", timeout: .seconds(30)) { FileManager.default.fileExists(atPath: portFile.path) }
        port = Int(try String(contentsOf: portFile, encoding: .utf8)) ?? 0
    }

    /// The messages received so far, oldest first.
    func messages() throws -> [ReceivedMail] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".eml") }.sorted()
            .map { try ReceivedMail(Data(contentsOf: directory.appendingPathComponent($0))) }
    }

    deinit {
        // SIGKILL: a process started by the test runner may inherit a mask
        // that blocks SIGTERM, and the server's state is of no use any more.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory.deletingLastPathComponent())
    }
}

/// An `.eml` file read as a mail client would: unfolded headers, RFC 2047
/// words decoded, and the parts of a multipart/alternative body decoded
/// from base64.
struct ReceivedMail {
    let raw: String
    /// Name (lower-cased) → values, in order.
    let headers: [String: [String]]
    /// Content type (`text/plain`) → the decoded text.
    let parts: [String: String]

    init(_ data: Data) throws {
        raw = String(decoding: data, as: UTF8.self)
        guard !raw.replacingOccurrences(of: "\r\n", with: "").contains("\n") else { throw TestFailure("a bare LF in \(raw.prefix(300))") }
        guard let split = raw.range(of: "\r\n\r\n") else { throw TestFailure("no end of headers: \(raw.prefix(300))") }
        var headers: [String: [String]] = [:]
        for line in raw[..<split.lowerBound].replacingOccurrences(of: "\r\n ", with: " ").components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { throw TestFailure("bad header line \(line)") }
            headers[line[..<colon].lowercased(), default: []].append(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        self.headers = headers
        guard let type = headers["content-type"]?.first, let marker = type.range(of: "boundary=\"") else {
            throw TestFailure("not multipart: \(headers)")
        }
        let boundary = String(type[marker.upperBound...].prefix { $0 != "\"" })
        var parts: [String: String] = [:]
        for part in raw[split.upperBound...].components(separatedBy: "--\(boundary)").dropFirst() where !part.hasPrefix("--") {
            guard let end = part.range(of: "\r\n\r\n") else { continue }
            let partHeaders = part[..<end.lowerBound].lowercased()
            guard partHeaders.contains("content-transfer-encoding: base64"),
                let contentType = partHeaders.components(separatedBy: "content-type: ").dropFirst().first?.prefix(while: { $0 != ";" })
            else { throw TestFailure("unexpected part headers \(partHeaders)") }
            let lines = part[end.upperBound...].components(separatedBy: "\r\n").filter { !$0.isEmpty }
            guard lines.allSatisfy({ $0.count <= 76 }), let decoded = Data(base64Encoded: lines.joined()) else {
                throw TestFailure("a \(contentType) part that is not base64 in lines of at most 76")
            }
            parts[String(contentType)] = String(decoding: decoded, as: UTF8.self)
        }
        self.parts = parts
    }

    func header(_ name: String) -> String? { headers[name.lowercased()]?.first }

    /// The subject as a client shows it (encoded words decoded).
    var subject: String {
        let value = header("subject") ?? ""
        guard value.hasPrefix("=?UTF-8?B?") else { return value }
        var bytes = Data()
        for word in value.components(separatedBy: " ") {
            bytes += Data(base64Encoded: String(word.dropFirst(10).dropLast(2))) ?? Data()
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
