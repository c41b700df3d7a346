import Hummingbird
import Logging
import TallyAdapters
import TallyCore

/// The account views of the transactions adapter, from the index:
///
/// - `GET /v1/accounts` — the accounts with transactions, paged;
/// - `GET /v1/accounts/{account}/report` — the report as JSON;
/// - `GET /v1/accounts/{account}/report.html` — the same report as a
///   self-contained HTML page (a separate path rather than content
///   negotiation, so the page can be linked, opened in a browser and
///   fetched by `curl` without headers).
///
/// An account no transaction names is a 404 problem; a bad account or
/// paging parameter a 400 problem naming it (for the HTML page too: the
/// errors of the API are problem+json everywhere).
public struct AccountRoutes: Sendable {
    public let query: AccountReportQuery
    public let logger: Logger

    public init(index: RecordIndex, logger: Logger) {
        self.query = AccountReportQuery(index: index)
        self.logger = logger
    }

    public func register(on router: Router<BasicRequestContext>) {
        router.add(middleware: MethodNotAllowedMiddleware(servesPath: { Self.isAccountPath($0) }))
        router.get("/v1/accounts") { request, _ in
            await list(request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) })
        }
        router.get("/v1/accounts/{account}/report") { _, context in
            await report(context.parameters.get("account") ?? "", as: .json)
        }
        router.get("/v1/accounts/{account}/report.html") { _, context in
            await report(context.parameters.get("account") ?? "", as: .html)
        }
    }

    enum Format {
        case json, html
    }

    func report(_ rawAccount: String, as format: Format) async -> Response {
        let account: String
        do {
            account = try AccountParameters.account(pathSegment: rawAccount)
        } catch {
            return ProblemDetails(error).response
        }
        let report: AccountReport?
        do {
            report = try await query.report(account: account)
        } catch {
            logger.error("account report of \(account) failed: \(error)")
            return ProblemDetails(status: 500, title: "Internal error", detail: "the report query failed; see the aggregator's log").response
        }
        guard let report else {
            return ProblemDetails(
                status: 404, title: "Unknown account",
                detail: "no transaction (source \(query.namespace.sourceId)) names account \(account)"
            ).response
        }
        switch format {
        case .json:
            return AggregatorRoutes.json(200, report.json)
        case .html:
            return Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: AccountReportPage.render(report))))
        }
    }

    func list(_ parameters: [(name: String, value: String)]) async -> Response {
        let paging: (after: String?, limit: Int)
        do {
            paging = try AccountParameters.list(parameters)
        } catch {
            return ProblemDetails(error).response
        }
        do {
            let page = try await query.accounts(after: paging.after, limit: paging.limit)
            var out = "{\"accounts\":["
            for (index, entry) in page.accounts.enumerated() {
                if index > 0 { out += "," }
                out += "{\"account\":"
                JSONWriter.appendQuoted(entry.account, to: &out)
                out += ",\"transactionCount\":\(entry.transactionCount)}"
            }
            out += "]"
            if let last = page.lastIfMore {
                out += ",\"nextCursor\":"
                JSONWriter.appendQuoted(AccountParameters.cursor.encode([.text(last)]), to: &out)
            }
            return AggregatorRoutes.json(200, out + "}")
        } catch {
            logger.error("account list failed: \(error)")
            return ProblemDetails(status: 500, title: "Internal error", detail: "the account query failed; see the aggregator's log").response
        }
    }
}

extension AccountRoutes {
    /// The account paths, for the 405 answer to other methods.
    static func isAccountPath(_ path: String) -> Bool {
        if path == "/v1/accounts" { return true }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 5 && parts[0].isEmpty && parts[1] == "v1" && parts[2] == "accounts"
            && !parts[3].isEmpty && (parts[4] == "report" || parts[4] == "report.html")
    }
}
