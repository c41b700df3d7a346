import Foundation
import Testing
import TallyAMQPClient
import TallyWorker

/// amqps:// against the TLS listener of `make test` (a throwaway CA made
/// by scripts/up.sh): a worker end to end, and the checks that must fail.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct TLSConnectionTests {
    /// The URL comes as a flag, so it also has to beat the plain
    /// `TALLY_AMQP_PORT` in the worker's environment; the client
    /// certificate is offered and checked by the broker (verify_peer).
    @Test func aWorkerOverAMQPSProcessesRecordsEndToEnd() throws {
        let environment = TestEnvironment("amqps")
        defer { environment.cleanUp() }
        let tls = try TLSListener.required(environment)
        try environment.declareTopology()
        let notifications = try OutputTap(environment, exchange: environment.configuration.topology.notificationsExchange)
        let url = tls.url(query: "cacertfile=\(tls.caFile)&certfile=\(tls.clientCertificate)&keyfile=\(tls.clientKey)")
        let worker = try WorkerProcess(environment, arguments: ["--amqp-url", url])
        try worker.waitUntilConsuming()
        let records = RecordStream.valid(count: 30, prefix: environment.runId, seed: 5)
        try environment.publish(records)
        try notifications.collect(atLeast: records.count)
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0)
        try FleetChecks.effectsExactlyOnce(environment, oracle: try Oracle(records))
        // It logged where it connected: the TLS listener, password masked.
        #expect(worker.log.contains("amqps://guest:********@localhost:\(tls.port)/"), "\(worker.log)")
        #expect(!worker.log.contains("guest:guest"))
    }

    @Test func aBrokerCertificateFromAnotherCAIsRefused() throws {
        let tls = try TLSListener.required(TestEnvironment("amqps-ca"))
        var endpoint = AMQPEndpoint(host: "localhost", port: tls.port)
        endpoint.tls = AMQPTLSSettings(caFile: tls.untrustedCAFile)
        #expect(throws: AMQPError.self) { _ = try AMQPConnection(endpoint) }
        endpoint.tls = AMQPTLSSettings(caFile: tls.caFile)
        _ = try AMQPConnection(endpoint)  // the same with the right CA connects
        endpoint.tls = AMQPTLSSettings(caFile: tls.untrustedCAFile, verifyPeer: false, verifyHostname: false)
        _ = try AMQPConnection(endpoint)  // and so does anything without verification
    }

    /// The certificate names `localhost`, not `127.0.0.1`.
    @Test func aHostNameTheCertificateDoesNotNameIsRefusedUnlessHostnameChecksAreOff() throws {
        let tls = try TLSListener.required(TestEnvironment("amqps-host"))
        var endpoint = AMQPEndpoint(host: "127.0.0.1", port: tls.port)
        endpoint.tls = AMQPTLSSettings(caFile: tls.caFile)
        let error = #expect(throws: AMQPError.self) { _ = try AMQPConnection(endpoint) }
        #expect(error?.message.lowercased().contains("hostname") == true, "\(String(describing: error))")
        endpoint.tls?.verifyHostname = false
        _ = try AMQPConnection(endpoint)
    }

    /// Plain AMQP to the TLS port gets nowhere: the listener really speaks TLS.
    @Test func plainAMQPToTheTLSPortFails() throws {
        let tls = try TLSListener.required(TestEnvironment("amqps-plain"))
        var endpoint = AMQPEndpoint(host: "localhost", port: tls.port)
        endpoint.connectTimeoutMilliseconds = 2_000
        #expect(throws: AMQPError.self) { _ = try AMQPConnection(endpoint) }
    }
}
