import Foundation

/// The amqps listener `scripts/up.sh` adds when `TALLY_AMQP_TLS_PORT` is
/// set (`make test` sets it), and the throwaway certificates it made.
struct TLSListener {
    let port: Int
    let directory: URL

    var caFile: String { directory.appendingPathComponent("ca.pem").path }
    var untrustedCAFile: String { directory.appendingPathComponent("untrusted-ca.pem").path }
    var clientCertificate: String { directory.appendingPathComponent("client.pem").path }
    var clientKey: String { directory.appendingPathComponent("client.key").path }

    /// Fails (never skips) when the servers run without TLS: a test that
    /// silently skips would prove nothing.
    static func required(_ environment: TestEnvironment) throws -> TLSListener {
        guard let port = Int(ProcessInfo.processInfo.environment["TALLY_AMQP_TLS_PORT"] ?? "") else {
            throw TestFailure("no amqps listener: start the servers with TALLY_AMQP_TLS_PORT set (make test does)")
        }
        let directory = environment.stateDirectory.appendingPathComponent("tls")
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("ca.pem").path) else {
            throw TestFailure("no throwaway CA in \(directory.path): scripts/up.sh makes it with TALLY_AMQP_TLS_PORT")
        }
        return TLSListener(port: port, directory: directory)
    }

    /// `amqps://guest:guest@localhost:PORT/` with the given query: the
    /// server certificate names `localhost`, so hostname checks pass.
    func url(host: String = "localhost", query: String) -> String {
        "amqps://guest:guest@\(host):\(port)/?\(query)"
    }
}
