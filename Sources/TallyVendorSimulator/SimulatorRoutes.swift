import Foundation
import Hummingbird
import TallyCore

/// The simulated vendor's HTTP API (docs/adapters.md, "The vendor API"):
///
/// - `GET /transactions?limit=1…1000&after=<cursor>`: rate-limited; a page
///   `{"transactions":[…],"nextCursor":"…","hasMore":bool}` in a stable order;
///   429 with `Retry-After` (whole seconds) when the window is full.
/// - `POST /transactions` with a JSON array of transactions: appended (kept
///   exactly as sent, so malformed ones can be served too); not rate-limited.
/// - `POST /faults` `{"status":503,"count":2}`, `{"status":429,"retryAfter":"1","count":1}`
///   or `{"delayMs":3000,"count":1}`: the next admitted requests fail so.
/// - `GET /stats`: requests, admitted, violations, maxInWindow, …
struct SimulatorRoutes: Sendable {
    let vendor: SimulatedVendor

    func register(on router: Router<BasicRequestContext>) {
        router.get("/transactions") { request, _ in
            let query = request.uri.queryParameters
            let answer = vendor.transactions(
                limit: query["limit"].map(String.init), after: query["after"].map(String.init), now: Self.now())
            switch answer {
            case .page(let body, let delay):
                if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
                return Self.json(200, body)
            case .rateLimited(let seconds):
                var response = Self.json(429, "{\"error\":\"rate limit exceeded: at most \(vendor.limit) requests per \(vendor.windowMilliseconds) ms\"}")
                response.headers[.retryAfter] = String(seconds)
                return response
            case .fault(.status(let status, let retryAfter)):
                var response = Self.json(status, "{\"error\":\"injected fault\"}")
                if let retryAfter { response.headers[.retryAfter] = retryAfter }
                return response
            case .fault(.delay):
                return Self.json(500, "{\"error\":\"unreachable\"}")
            case .badRequest(let message):
                return Self.json(400, "{\"error\":\(JSONWriter.quoted(message))}")
            }
        }
        router.post("/transactions") { request, _ in
            let body = try await request.body.collect(upTo: 64 << 20)
            guard case .array(let items)? = try? JSONParser.parse(Array(body.readableBytesView), maxDepth: 8) else {
                return Self.json(400, "{\"error\":\"expected a JSON array of transactions\"}")
            }
            let total = vendor.append(items)
            return Self.json(201, "{\"appended\":\(items.count),\"total\":\(total)}")
        }
        router.post("/faults") { request, _ in
            let body = try await request.body.collect(upTo: 1 << 16)
            guard let json = try? JSONParser.parse(Array(body.readableBytesView)), case .object = json else {
                return Self.json(400, "{\"error\":\"expected a JSON object\"}")
            }
            var count = 1
            if case .number(let text)? = json["count"] {
                guard let value = Int(text), (1...10_000).contains(value) else { return Self.json(400, "{\"error\":\"count must be 1…10000\"}") }
                count = value
            }
            if case .number(let text)? = json["status"], let status = Int(text), (400...599).contains(status) {
                var retryAfter: String?
                switch json["retryAfter"] {
                case .string(let value)?, .number(let value)?: retryAfter = value
                default: retryAfter = nil
                }
                vendor.inject(.status(status, retryAfter: retryAfter), count: count)
            } else if case .number(let text)? = json["delayMs"], let delay = Int64(text), (1...600_000).contains(delay) {
                vendor.inject(.delay(milliseconds: delay), count: count)
            } else {
                return Self.json(400, "{\"error\":\"give status (400…599) or delayMs (1…600000)\"}")
            }
            return Self.json(201, "{\"queued\":\(count)}")
        }
        router.get("/stats") { _, _ in Self.json(200, vendor.statsJSON) }
        router.get("/health") { _, _ in Self.json(200, "{\"status\":\"up\"}") }
    }

    static func json(_ status: Int, _ body: String) -> Response {
        Response(
            status: .init(code: status), headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// Wall-clock epoch milliseconds, the clock the poller's limiter uses.
    static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
