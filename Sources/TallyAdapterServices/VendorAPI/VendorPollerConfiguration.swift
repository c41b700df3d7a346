import Foundation
import TallyAdapters
import TallyCore

/// What `tally poll vendor` runs with. Broker, Redis and topology are the
/// fleet's (the poller is a producer like `tally publish`).
public struct VendorPollerConfiguration: Sendable {
    /// The vendor's transactions endpoint, e.g. `http://vendor/transactions`;
    /// the poller adds `limit` and `after`.
    public var url: URL
    /// The unit of every amount (the vendor API does not send one).
    public var unit = "USD"
    /// Transactions asked for per request (the vendor allows at most 1,000).
    public var pageSize = 1_000
    /// The vendor's limit: at most `rateLimit` requests per `rateWindowMilliseconds`.
    public var rateLimit = 5
    public var rateWindowMilliseconds: Int64 = 60_000
    /// Added to the window: each slot counts from the request's send, so
    /// the margin covers a difference in one-way delay between two requests
    /// `rateLimit` apart, and a vendor clock that runs a little fast.
    public var rateMarginMilliseconds: Int64 = 100
    /// When caught up (a page with `hasMore: false`), the next request waits
    /// this long after the last one was sent, and at least the even spacing
    /// (window + margin) / limit (12,020 ms) that uses the whole budget.
    public var idleMilliseconds: Int64 = 12_000
    /// A request without a complete answer by then has failed.
    public var requestTimeoutMilliseconds: Int64 = 30_000
    /// Backoff after failed requests and after broker or Redis failures.
    public var backoff = BackoffPolicy(initialMilliseconds: 1_000, maximumMilliseconds: 60_000)
    /// Names this poller's state in Redis (cursor, recent request instants):
    /// `<prefix>:adapter:{<stateName>}:cursor` and `…:requests`. Two pollers
    /// of two vendor accounts need two names.
    public var stateName = "vendor"
    /// Stop once caught up instead of polling forever (a one-off import).
    public var stopWhenCaughtUp = false
    public var namespace = AdapterNamespace.vendor
    public var connections: AdapterConnections

    public init(url: URL, connections: AdapterConnections) {
        self.url = url
        self.connections = connections
    }

    /// The pacing as configured (the margin widens the window).
    var pacer: VendorRequestPacer {
        VendorRequestPacer(
            limit: rateLimit, windowMilliseconds: rateWindowMilliseconds, marginMilliseconds: rateMarginMilliseconds,
            idleMilliseconds: idleMilliseconds)
    }

    /// Checks the settings a user typed; the message names the option.
    public func validate() throws(VendorPollerError) {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            throw VendorPollerError(.configuration, "--url must be an http(s) URL, got \(url.absoluteString)")
        }
        guard (1...1_000).contains(pageSize) else { throw VendorPollerError(.configuration, "--page-size must be 1…1000, got \(pageSize)") }
        guard rateLimit > 0 else { throw VendorPollerError(.configuration, "--rate-limit must be positive") }
        guard rateWindowMilliseconds > 0 else { throw VendorPollerError(.configuration, "--rate-window-ms must be positive") }
        guard rateMarginMilliseconds >= 0, idleMilliseconds >= 0 else {
            throw VendorPollerError(.configuration, "--rate-margin-ms and --idle-ms must not be negative")
        }
        guard requestTimeoutMilliseconds > 0 else { throw VendorPollerError(.configuration, "--request-timeout-ms must be positive") }
        guard !unit.isEmpty, unit.utf8.count <= connections.limits.maxFieldBytes else {
            throw VendorPollerError(.configuration, "--unit must be 1…\(connections.limits.maxFieldBytes) bytes")
        }
        guard !stateName.isEmpty, !stateName.contains("{"), !stateName.contains("}") else {
            throw VendorPollerError(.configuration, "--state-name must be non-empty and without braces")
        }
    }
}

/// A poller failure with an opaque code.
public struct VendorPollerError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Equatable, CustomStringConvertible {
        fileprivate enum Kind: String { case configuration, vendor, broker, redis }
        fileprivate let kind: Kind
        public static let configuration = Code(kind: .configuration)
        /// The vendor did not answer with a page (status, timeout, malformed body).
        public static let vendor = Code(kind: .vendor)
        public static let broker = Code(kind: .broker)
        public static let redis = Code(kind: .redis)
        public var description: String { kind.rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
