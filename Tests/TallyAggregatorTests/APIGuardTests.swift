import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TallyRuntime
@testable import TallyAggregator

/// The API's guard in process: tokens, the concurrency limit and the
/// deadline, each answered as docs/contract.md says ("Calling the API").
@Suite struct APIGuardTests {
    static let token = "0123456789abcdef0123456789abcdef"

    /// `/slow` holds its request until `release` is called (or the
    /// request is cancelled); `/fast` answers at once.
    final class Gate: @unchecked Sendable {
        private let lock = NSLock()
        private var waiters: [CheckedContinuation<Void, Never>] = []
        private var arrivedCount = 0
        var arrived: Int { lock.withLock { arrivedCount } }

        func wait() async {
            await withCheckedContinuation { continuation in
                lock.withLock {
                    waiters.append(continuation)
                    arrivedCount += 1
                }
            }
        }

        func release() {
            let all = lock.withLock { defer { waiters = [] }; return waiters }
            for waiter in all { waiter.resume() }
        }
    }

    func application(settings: APISettings, gate: Gate = Gate()) -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: APIGuardMiddleware(settings: settings))
        router.get("/fast") { _, _ in "ok" }
        router.get("/slow") { _, _ in
            await gate.wait()
            return "late"
        }
        router.get("/forever") { _, _ in
            // Ends only when the deadline cancels it.
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(5)) }
            return "cancelled"
        }
        router.get("/openapi.yaml") { _, _ in "spec" }
        return Application(router: router)
    }

    func settings(_ configure: (inout APISettings) -> Void = { _ in }) -> APISettings {
        var settings = APISettings()
        settings.tokens = [Self.token]
        configure(&settings)
        return settings
    }

    @Test func withoutAnAcceptedTokenTheAnswerIs401() async throws {
        try await application(settings: settings()).test(.router) { client in
            for header in [nil, "Bearer wrong-token-wrong-token-00", "Basic \(Self.token)", "Bearer", "Bearer \(Self.token)x"] {
                var headers = HTTPFields()
                if let header { headers[.authorization] = header }
                try await client.execute(uri: "/fast", method: .get, headers: headers) { response in
                    #expect(response.status == .unauthorized, "\(header ?? "no header")")
                    #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                    #expect(response.headers[.contentType] == "application/problem+json")
                }
            }
            for header in ["Bearer \(Self.token)", "bearer \(Self.token)"] {
                try await client.execute(uri: "/fast", method: .get, headers: [.authorization: header]) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == "ok")
                }
            }
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok, "the API's description is public")
            }
        }
    }

    @Test func pastTheConcurrencyLimitTheAnswerIs503WithRetryAfter() async throws {
        let gate = Gate()
        let app = application(settings: settings { $0.maxConcurrentRequests = 2 }, gate: gate)
        try await app.test(.router) { client in
            let auth: HTTPFields = [.authorization: "Bearer \(Self.token)"]
            async let first = client.execute(uri: "/slow", method: .get, headers: auth) { $0.status }
            async let second = client.execute(uri: "/slow", method: .get, headers: auth) { $0.status }
            while gate.arrived < 2 { await Task.yield() }
            try await client.execute(uri: "/fast", method: .get, headers: auth) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "1")
            }
            gate.release()
            #expect(try await first == .ok)
            #expect(try await second == .ok)
            try await client.execute(uri: "/fast", method: .get, headers: auth) { response in
                #expect(response.status == .ok, "the slots are free again")
            }
        }
    }

    @Test func pastTheDeadlineTheWorkIsCancelledAndTheAnswerIs503() async throws {
        try await application(settings: settings { $0.requestDeadlineMilliseconds = 50 }).test(.router) { client in
            try await client.execute(uri: "/forever", method: .get, headers: [.authorization: "Bearer \(Self.token)"]) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "1")
                #expect(String(buffer: response.body).contains("http.requestDeadlineMs"))
            }
        }
    }

    @Test func anonymousOnlyWhenAskedForAndNoTokenIsSet() async throws {
        var open = APISettings()
        open.allowAnonymous = true
        try await application(settings: open).test(.router) { client in
            try await client.execute(uri: "/fast", method: .get) { #expect($0.status == .ok) }
        }
        // A token configured wins over allowAnonymous.
        try await application(settings: settings { $0.allowAnonymous = true }).test(.router) { client in
            try await client.execute(uri: "/fast", method: .get) { #expect($0.status == .unauthorized) }
        }
    }
}

@Suite struct BearerTokensTests {
    @Test func tokensLoadFromTheListAndTheFileAndRefuseWeakOnes() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)")
        try "# rotated 2026-12\n\nfedcba9876543210fedcba9876543210\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let tokens = try BearerTokens.load(list: " 0123456789abcdef0123456789abcdef ,", file: file.path)
        #expect(tokens == ["0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"])
        let accepted = BearerTokens(tokens)
        #expect(accepted.accepts(authorization: "Bearer fedcba9876543210fedcba9876543210"))
        #expect(!accepted.accepts(authorization: "Bearer fedcba9876543210fedcba987654321"))
        #expect(throws: BearerTokenError.self) { try BearerTokens.load(list: "short", file: nil) }
        #expect(throws: BearerTokenError.self) { try BearerTokens.load(list: "0123456789abcdef 0123456789abcdef", file: nil) }
        #expect(throws: BearerTokenError.self) { try BearerTokens.load(list: nil, file: "/nonexistent/tokens") }
    }
}
