import Foundation

/// A real browser engine: Debian's `chromium`, headless, asked for the DOM
/// it built from a page (`--dump-dom`), i.e. what a person's browser would
/// show, after HTML parsing and error recovery — not the bytes we sent.
///
/// `scripts/install-deps.sh` installs it. Each run gets its own profile
/// directory, so tests never share (or lock) one with anybody else.
enum HeadlessBrowser {
    static func executable() throws -> URL {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            for name in ["chromium", "chromium-browser"] {
                let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
        }
        throw TestFailure("no chromium on PATH: scripts/install-deps.sh installs Debian's chromium package")
    }

    /// The serialized DOM of an HTML page fetched elsewhere (the API wants
    /// a token the browser would not send), loaded from a file.
    static func renderedDOM(ofHTML html: String) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tally-page-\(UUID().uuidString).html")
        try html.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        return try renderedDOM(of: file.absoluteString)
    }

    /// The serialized DOM of `url` once loaded.
    static func renderedDOM(of url: String) throws -> String {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("tally-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let result = try CommandProcess.run(
            try executable(),
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-extensions", "--user-data-dir=\(profile.path)", "--dump-dom", url,
            ],
            logName: "chromium", timeout: .seconds(120))
        guard result.status == 0, result.output.contains("</html>") else {
            throw TestFailure("chromium exited \(result.status) without a DOM for \(url); stderr: \(result.error.suffix(2_000))")
        }
        return result.output
    }
}

/// Reads the figures the account report page marks with `data-field`
/// (AccountReportPage) out of a serialized DOM.
struct RenderedReport {
    let dom: String

    /// The text of the first element carrying `data-field="<field>"` within `scope`.
    static func field(_ field: String, in scope: Substring) -> String? {
        guard let marker = scope.range(of: "data-field=\"\(field)\"") else { return nil }
        let afterTag = scope[marker.upperBound...]
        guard let open = afterTag.firstIndex(of: ">") else { return nil }
        let text = afterTag[afterTag.index(after: open)...]
        guard let close = text.firstIndex(of: "<") else { return nil }
        return String(text[..<close])
    }

    /// The `<section>` of one currency (its escaped code as in the DOM).
    func section(currency: String) -> Substring? {
        guard let start = dom.range(of: "data-currency=\"\(currency)\"") else { return nil }
        let rest = dom[start.lowerBound...]
        guard let end = rest.range(of: "</section>") else { return nil }
        return rest[..<end.upperBound]
    }

    /// month (`YYYY-MM`) → the count shown for it, within `scope`.
    static func monthCounts(in scope: Substring) -> [String: String] {
        var counts: [String: String] = [:]
        var rest = scope
        while let row = rest.range(of: "<tr data-month=\"") {
            let afterRow = rest[row.upperBound...]
            guard let quote = afterRow.firstIndex(of: "\"") else { break }
            let month = String(afterRow[..<quote])
            let rowEnd = afterRow.range(of: "</tr>")?.upperBound ?? afterRow.endIndex
            counts[month] = field("month-count", in: afterRow[..<rowEnd])
            rest = afterRow[rowEnd...]
        }
        return counts
    }
}
